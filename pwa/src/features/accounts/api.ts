// The accounts feature's calls (server/accounts: sign-in, resident accounts, passkeys).
import { getJson, post, type Schemas } from "../../api/client";

/** Who is signed in: roles, scopes and the CSRF token for writes. */
export type Me = Schemas["Me"];

export const whoAmI = () => getJson<Me>("/api/auth/me");
export const createResident = () => post<Schemas["NewResident"]>("/api/residents");
export const login = (body: Schemas["Login"]) => post<Me>("/api/auth/login", body);
export const logout = () => post<Schemas["SignedOut"]>("/api/auth/logout");
/** WebAuthn ceremonies' options, each with the challenge the answer must name. */
export const passkeyRegisterOptions = () => post<Schemas["RegistrationOptions"]>("/api/auth/passkeys/register/options");
export const passkeyRegister = (challengeId: string, credential: unknown) =>
  post<Schemas["PasskeyAdded"]>("/api/auth/passkeys/register", { challengeId, credential });
export const passkeyLoginOptions = () => post<Schemas["LoginOptions"]>("/api/auth/passkeys/login/options");
export const passkeyLogin = (challengeId: string, credential: unknown) =>
  post<Me>("/api/auth/passkeys/login", { challengeId, credential });
