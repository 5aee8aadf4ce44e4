// The session of this device: a resident account made on first use (no e-mail), or a staff or
// headquarters sign-in. The CSRF token is kept so queued writes can be sent after a restart.
import { signal } from "@preact/signals";
import { getJson, postJson } from "./api";

export interface Me {
  id: string;
  kind: "resident" | "operator";
  email: string | null;
  roles: { role: string; municipality: string | null; shelter: string | null }[];
  csrfToken: string;
}

const CSRF_KEY = "bosai.csrf";
export const me = signal<Me | null>(null);
/** Shown once, right after the account is made. */
export const recoveryCode = signal<string | null>(null);
export const holds = (...roles: string[]): boolean => me.value?.roles.some((r) => roles.includes(r.role)) ?? false;

export function csrfHeader(): Record<string, string> {
  const token = me.value?.csrfToken ?? globalThis.localStorage?.getItem(CSRF_KEY);
  return token ? { "X-CSRF-Token": token } : {};
}

function remember(who: Me): Me {
  me.value = who;
  globalThis.localStorage?.setItem(CSRF_KEY, who.csrfToken);
  return who;
}

/** POST with this session's CSRF token. */
export const post = <T>(path: string, body?: unknown): Promise<T> => postJson<T>(path, body, csrfHeader());

/** Who this device is signed in as; null when nobody (or offline). */
export async function whoAmI(): Promise<Me | null> {
  try {
    return remember(await getJson<Me>("/api/auth/me"));
  } catch {
    return null;
  }
}

/** The resident account of this device, made now if there is none. */
export async function ensureResident(): Promise<Me | null> {
  const current = me.value ?? (await whoAmI());
  if (current?.roles.some((r) => r.role === "resident")) return current;
  if (current) return current; // an operator is signed in on this device
  try {
    const made = await post<Me & { recoveryCode: string }>("/api/residents");
    recoveryCode.value = made.recoveryCode;
    return remember(made);
  } catch {
    return null; // offline: tried again next time
  }
}

export async function signIn(email: string, password: string): Promise<Me> {
  return remember(await post<Me>("/api/auth/login", { email, password }));
}

export async function signOut(): Promise<void> {
  await post("/api/auth/logout");
  me.value = null;
  globalThis.localStorage?.removeItem(CSRF_KEY);
}

interface Options {
  challengeId: string;
  options: unknown;
}

export const passkeysSupported = () =>
  typeof PublicKeyCredential !== "undefined" && "parseCreationOptionsFromJSON" in PublicKeyCredential;

/** Add a passkey to the signed-in account (to sign in on another device, or without a password). */
export async function addPasskey(): Promise<void> {
  const { challengeId, options } = await post<Options>("/api/auth/passkeys/register/options");
  const credential = (await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options as PublicKeyCredentialCreationOptionsJSON),
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error("cancelled");
  await post("/api/auth/passkeys/register", { challengeId, credential: credential.toJSON() });
}

export async function signInWithPasskey(): Promise<Me> {
  const { challengeId, options } = await post<Options>("/api/auth/passkeys/login/options");
  const credential = (await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options as PublicKeyCredentialRequestOptionsJSON),
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error("cancelled");
  recoveryCode.value = null;
  return remember(await post<Me>("/api/auth/passkeys/login", { challengeId, credential: credential.toJSON() }));
}
