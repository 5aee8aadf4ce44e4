// Checking a scanned code on the device, without the network: the code is
// B1.<h|m>.<opaque id>.<key id>.<counter>.<Ed25519 signature of the first five parts>, and the
// public keys come from GET /api/qr/keys (kept on the device). Revocation is only known online.
import { type PublicKey, qrKeys } from "./api";

export type Checked =
  | { ok: true; kind: "household" | "member"; opaqueId: string; kid: string; counter: number }
  | { ok: false; why: "format" | "unknownKey" | "signature" };

const KEYS = "bosai.qrkeys";

export function base64url(text: string): Uint8Array<ArrayBuffer> {
  const padded = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export async function checkCode(text: string, keys: PublicKey[]): Promise<Checked> {
  const parts = text.trim().split(".");
  const [prefix, kind, opaqueId, kid, counter, signature] = parts;
  if (
    parts.length !== 6 ||
    prefix !== "B1" ||
    (kind !== "h" && kind !== "m") ||
    !opaqueId ||
    !kid ||
    !/^\d+$/.test(counter ?? "") ||
    !signature
  ) {
    return { ok: false, why: "format" };
  }
  const key = keys.find((k) => k.kid === kid);
  if (key === undefined) return { ok: false, why: "unknownKey" };
  try {
    const publicKey = await crypto.subtle.importKey("raw", base64url(key.publicKey), { name: "Ed25519" }, false, [
      "verify",
    ]);
    const message = new TextEncoder().encode(parts.slice(0, 5).join("."));
    const valid = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, base64url(signature), message);
    if (!valid) return { ok: false, why: "signature" };
  } catch {
    return { ok: false, why: "signature" };
  }
  return { ok: true, kind: kind === "h" ? "household" : "member", opaqueId, kid, counter: Number(counter) };
}

/** The signing keys: fetched when online and kept, else the kept ones. */
export async function signingKeys(): Promise<PublicKey[]> {
  try {
    const { keys } = await qrKeys();
    globalThis.localStorage?.setItem(KEYS, JSON.stringify(keys));
    return keys;
  } catch {
    try {
      return JSON.parse(globalThis.localStorage?.getItem(KEYS) ?? "[]") as PublicKey[];
    } catch {
      return [];
    }
  }
}
