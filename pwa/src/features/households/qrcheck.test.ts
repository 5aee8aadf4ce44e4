import { describe, expect, it } from "vitest";
import type { PublicKey } from "./api";
import { checkCode } from "./qrcheck";

const b64url = (bytes: ArrayBuffer) =>
  Buffer.from(bytes).toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function issuer(kid: string) {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const key: PublicKey = {
    kid,
    alg: "Ed25519",
    publicKey: b64url(await crypto.subtle.exportKey("raw", pair.publicKey)),
    current: true,
  };
  const issue = async (body: string) =>
    `${body}.${b64url(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, new TextEncoder().encode(body)))}`;
  return { key, issue };
}

describe("QR codes checked on the device", () => {
  it("accepts a code signed with a published key and reads its parts", async () => {
    const { key, issue } = await issuer("k1");
    const code = await issue("B1.h.AbC-_x.k1.3");
    expect(await checkCode(code, [key])).toEqual({
      ok: true,
      kind: "household",
      opaqueId: "AbC-_x",
      kid: "k1",
      counter: 3,
    });
  });

  it("refuses altered, unknown-key, foreign and malformed codes, saying which", async () => {
    const { key, issue } = await issuer("k1");
    const other = await issuer("k2");
    const code = await issue("B1.m.member1.k1.1");
    expect(await checkCode(code.replace(".1.", ".2."), [key])).toEqual({ ok: false, why: "signature" });
    expect(await checkCode(await other.issue("B1.m.member1.k1.1"), [key])).toEqual({ ok: false, why: "signature" });
    expect(await checkCode(await other.issue("B1.m.member1.k2.1"), [key])).toEqual({ ok: false, why: "unknownKey" });
    for (const text of ["", "https://example.com", "B2.h.a.k1.1.sig", "B1.x.a.k1.1.sig", "B1.h.a.k1.one.sig"]) {
      expect(await checkCode(text, [key])).toEqual({ ok: false, why: "format" });
    }
    expect(await checkCode(`${code.slice(0, -3)}!!!`, [key])).toEqual({ ok: false, why: "signature" });
  });
});
