// The HTTP client of the server's API: JSON in and out, problem+json turned into ApiError, the
// session's CSRF token on writes. The shapes are generated from the server's OpenAPI document
// (schema.d.ts, `make api`); each feature's api.ts names its calls and their types.
import type { components } from "./schema";

/** The server's declared schemas, by name (`Schemas["FacilityDetail"]`). */
export type Schemas = components["schemas"];

/** An answer other than 2xx: `status` 0 when the network failed. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }

  get offline(): boolean {
    return this.status === 0;
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export async function getJson<T>(path: string, fetcher: Fetch = fetch): Promise<T> {
  let response: Response;
  try {
    response = await fetcher(path, { headers: { Accept: "application/json" } });
  } catch (error) {
    throw new ApiError(0, error instanceof Error ? error.message : String(error));
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = (await response.json()) as { detail?: string };
      detail = problem.detail ?? detail;
    } catch {
      // not problem+json
    }
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}

/** A JSON body sent with `method`; the answer's JSON, or an ApiError (status 0 when the network failed). */
export async function sendJson<T>(
  method: "POST" | "PUT" | "DELETE",
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", ...headers },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, error instanceof Error ? error.message : String(error));
  }
  const answer = (await response.json().catch(() => ({}))) as T & { detail?: string };
  if (!response.ok) throw new ApiError(response.status, answer.detail ?? response.statusText);
  return answer;
}

export const postJson = <T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> =>
  sendJson<T>("POST", path, body, headers);

// The session's CSRF token, kept on the device so queued writes can be sent after a restart.
const CSRF_KEY = "bosai.csrf";
let csrfToken: string | null = null;

/** Keep (or, with null, forget) the token the server gave this session. */
export function keepCsrfToken(token: string | null): void {
  csrfToken = token;
  if (token === null) globalThis.localStorage?.removeItem(CSRF_KEY);
  else globalThis.localStorage?.setItem(CSRF_KEY, token);
}

export function csrfHeader(): Record<string, string> {
  const token = csrfToken ?? globalThis.localStorage?.getItem(CSRF_KEY);
  return token ? { "X-CSRF-Token": token } : {};
}

/** POST with this session's CSRF token. */
export const post = <T>(path: string, body?: unknown): Promise<T> => postJson<T>(path, body, csrfHeader());

export const coordinates = (lat: number, lon: number) => `lat=${lat.toFixed(6)}&lon=${lon.toFixed(6)}`;

/** The vector tiles of every municipality (layers boundaries, hazards, facilities). */
export const TILE_URL = "/tiles/{z}/{x}/{y}.mvt";
