// The family safety feature's calls (server/safety): my status and consent, my groups (read with
// an ETag, so the open view can ask often), invites, joining, leaving, asking a member, inquiries.
import { ApiError, csrfHeader, getJson, post, type Schemas, sendJson } from "../../api/client";

export type Group = Schemas["Group"];
export type GroupMember = Schemas["GroupMember"];
export type StatusRecord = Schemas["StatusRecord"];
export type SafetyMe = Schemas["SafetyMe"];
export type Invite = Schemas["Invite"];
export type InquiryAnswer = Schemas["InquiryAnswer"];
export type SetStatus = Schemas["StatusRequest"]["status"];
export type Status = StatusRecord["status"];
export type Consent = Schemas["Consent"];

export const SET_STATUSES: SetStatus[] = ["safe", "needs_help", "injured", "unknown"];
export const STATUS_URL = "/api/safety/status";
export const MESSAGE_MAX = 200;

export const fetchMe = () => getJson<SafetyMe>("/api/safety/me");

/** My groups, or null when they are what `etag` names (304); the answer's ETag with them. */
export async function fetchGroups(
  etag: string | null,
  fetcher: typeof fetch = fetch,
): Promise<{ groups: Group[]; etag: string | null } | null> {
  let response: Response;
  try {
    response = await fetcher("/api/safety/groups", {
      headers: { Accept: "application/json", ...(etag ? { "If-None-Match": etag } : {}) },
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, error instanceof Error ? error.message : String(error));
  }
  if (response.status === 304) return null;
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { detail?: string };
    throw new ApiError(response.status, problem.detail ?? response.statusText);
  }
  const body = (await response.json()) as Schemas["Groups"];
  return { groups: body.groups, etag: response.headers.get("ETag") };
}

/** A write with this session's CSRF token (PUT, DELETE). */
const send = <T>(method: "PUT" | "DELETE", path: string, body?: unknown) =>
  sendJson<T>(method, path, body, csrfHeader());

export const createGroup = (name: string, myName: string | null) =>
  post<Schemas["GroupCreated"]>("/api/safety/groups", { name, ...(myName ? { myName } : {}) });
export const newInvite = (groupId: string) => post<Invite>(`/api/safety/groups/${groupId}/invites`);
export const joinGroup = (code: string, name: string | null) =>
  post<Group>("/api/safety/groups/join", { code, ...(name ? { name } : {}) });
export const leaveGroup = (groupId: string) => post<Schemas["Left"]>(`/api/safety/groups/${groupId}/leave`);
export const removeMember = (groupId: string, personId: string) =>
  send<Schemas["Left"]>("DELETE", `/api/safety/groups/${groupId}/members/${personId}`);
export const askMember = (groupId: string, personId: string) =>
  post<Schemas["Asked"]>(`/api/safety/groups/${groupId}/ask`, { personId });
export const saveConsent = (consent: Consent) => send<Schemas["ConsentRecord"]>("PUT", "/api/safety/consent", consent);

/** Ask after someone: by full name and phone, or by their card's code. */
export function inquiry(query: { name: string; phone: string } | { code: string }): Promise<InquiryAnswer> {
  const params = new URLSearchParams("code" in query ? { code: query.code } : query);
  return getJson<InquiryAnswer>(`/api/safety/inquiry?${params}`);
}

/** The invite's whole link on this origin (the server gives it from the fragment on). */
export const inviteLink = (invite: Invite, origin: string = globalThis.location?.origin ?? "") =>
  `${origin}${invite.url}`;

/** The part of the hash after "#/resident/family/": ["join", code], ["inquiry"], or []. */
export function familyPath(hash: string): string[] {
  const parts = hash.replace(/^#\/?/, "").split("/");
  return parts[0] === "resident" && parts[1] === "family" ? parts.slice(2).filter((p) => p !== "") : [];
}
