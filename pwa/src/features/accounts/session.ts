// The session of this device: a resident account made on first use (no e-mail), or a staff or
// headquarters sign-in. The CSRF token is kept (api/client) so queued writes can be sent after a restart.
import { signal } from "@preact/signals";
import { keepCsrfToken } from "../../api/client";
import type { Me } from "./api";
import * as api from "./api";

export type { Me } from "./api";

export const me = signal<Me | null>(null);
/** Shown once, right after the account is made. */
export const recoveryCode = signal<string | null>(null);
export const holds = (...roles: string[]): boolean => me.value?.roles.some((r) => roles.includes(r.role)) ?? false;

function remember(who: Me): Me {
  me.value = who;
  keepCsrfToken(who.csrfToken);
  return who;
}

/** Who this device is signed in as; null when nobody (or offline). */
export async function whoAmI(): Promise<Me | null> {
  try {
    return remember(await api.whoAmI());
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
    const made = await api.createResident();
    recoveryCode.value = made.recoveryCode;
    return remember(made);
  } catch {
    return null; // offline: tried again next time
  }
}

export async function signIn(email: string, password: string): Promise<Me> {
  return remember(await api.login({ email, password }));
}

export async function signOut(): Promise<void> {
  await api.logout();
  me.value = null;
  keepCsrfToken(null);
}

export const passkeysSupported = () =>
  typeof PublicKeyCredential !== "undefined" && "parseCreationOptionsFromJSON" in PublicKeyCredential;

/** Add a passkey to the signed-in account (to sign in on another device, or without a password). */
export async function addPasskey(): Promise<void> {
  const { challengeId, options } = await api.passkeyRegisterOptions();
  const credential = (await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error("cancelled");
  await api.passkeyRegister(challengeId, credential.toJSON());
}

export async function signInWithPasskey(): Promise<Me> {
  const { challengeId, options } = await api.passkeyLoginOptions();
  const credential = (await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error("cancelled");
  recoveryCode.value = null;
  return remember(await api.passkeyLogin(challengeId, credential.toJSON()));
}
