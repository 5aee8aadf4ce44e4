// The accounts feature's calls (server/accounts: sign-in, resident accounts, passkeys).
import { getJson, post, type Schemas } from "../../api/client";

// The server does not declare who-am-I's shape yet (GET /api/auth/me answers an untyped object).
export interface Me {
  id: string;
  kind: "resident" | "operator";
  email: string | null;
  roles: { role: string; municipality: string | null; shelter: string | null }[];
  csrfToken: string;
}

/** A WebAuthn ceremony's options, with the challenge the answer must name. */
export interface PasskeyOptions {
  challengeId: string;
  options: unknown;
}

export const whoAmI = () => getJson<Me>("/api/auth/me");
export const createResident = () => post<Me & { recoveryCode: string }>("/api/residents");
export const login = (body: Schemas["Login"]) => post<Me>("/api/auth/login", body);
export const logout = () => post("/api/auth/logout");
export const passkeyRegisterOptions = () => post<PasskeyOptions>("/api/auth/passkeys/register/options");
export const passkeyRegister = (challengeId: string, credential: unknown) =>
  post("/api/auth/passkeys/register", { challengeId, credential });
export const passkeyLoginOptions = () => post<PasskeyOptions>("/api/auth/passkeys/login/options");
export const passkeyLogin = (challengeId: string, credential: unknown) =>
  post<Me>("/api/auth/passkeys/login", { challengeId, credential });
