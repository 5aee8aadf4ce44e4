// Writes that must survive network loss (check-ins, safety status): kept in IndexedDB until the
// server has them. Each carries an idempotency key, so a retry after a lost answer is harmless.
import { type DBSchema, type IDBPDatabase, openDB } from "idb";

export type OutboxState = "queued" | "sending" | "sent" | "failed";

export interface OutboxItem {
  /** The Idempotency-Key sent with every attempt. */
  id: string;
  method: "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  body: unknown;
  /** What the user sees in the list, already translated by the caller. */
  label: string;
  state: OutboxState;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  /** Why the last attempt failed (network error, or the server's problem detail). */
  reason: string | null;
  sentAt: number | null;
  /** The server's answer once sent (e.g. the id it gave), when it was JSON. */
  result?: unknown;
}

interface OutboxDb extends DBSchema {
  items: { key: string; value: OutboxItem; indexes: { createdAt: number } };
}

export interface OutboxOptions {
  dbName?: string;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  now?: () => number;
  /** First retry delay; doubled at each failure up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  newId?: () => string;
  /** Headers added to every attempt (e.g. the session's CSRF token), read at sending time. */
  headers?: () => Record<string, string>;
}

/** The wait before attempt n+1 after n failures: base·2ⁿ⁻¹, capped. */
export function backoff(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/** A 4xx other than 408 (timeout) and 429 (too many) will not succeed by retrying. */
export function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export class Outbox {
  private readonly db: Promise<IDBPDatabase<OutboxDb>>;
  private readonly fetcher: NonNullable<OutboxOptions["fetch"]>;
  private readonly now: () => number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly newId: () => string;
  private readonly extraHeaders: () => Record<string, string>;
  private readonly listeners = new Set<(items: OutboxItem[]) => void>();
  private flushing: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: OutboxOptions = {}) {
    this.db = openDB<OutboxDb>(options.dbName ?? "bosai-outbox", 1, {
      upgrade(db) {
        db.createObjectStore("items", { keyPath: "id" }).createIndex("createdAt", "createdAt");
      },
    });
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
    this.baseDelayMs = options.baseDelayMs ?? 2_000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.newId = options.newId ?? (() => crypto.randomUUID());
    this.extraHeaders = options.headers ?? (() => ({}));
  }

  /** Keep a write; it is sent now if the network allows, else later. */
  async enqueue(write: Pick<OutboxItem, "method" | "url" | "body" | "label">): Promise<OutboxItem> {
    const now = this.now();
    const item: OutboxItem = {
      ...write,
      id: this.newId(),
      state: "queued",
      attempts: 0,
      createdAt: now,
      nextAttemptAt: now,
      reason: null,
      sentAt: null,
    };
    await (await this.db).put("items", item);
    await this.changed();
    void this.flush();
    return item;
  }

  async list(): Promise<OutboxItem[]> {
    return (await this.db).getAllFromIndex("items", "createdAt");
  }

  /** Send every item that is due; one flush at a time (a call during one makes it go round again). */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        await this.sendDue();
      } while (this.again);
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Drop queued (not yet sent) writes to `url`: a newer full replacement supersedes them. */
  async supersede(url: string): Promise<void> {
    const db = await this.db;
    for (const item of await db.getAll("items")) {
      if (item.url === url && (item.state === "queued" || item.state === "failed")) await db.delete("items", item.id);
    }
  }

  /** Put a failed item back in the queue, to be sent now. */
  async retry(id: string): Promise<void> {
    const db = await this.db;
    const item = await db.get("items", id);
    if (item === undefined || item.state === "sent") return;
    await db.put("items", { ...item, state: "queued", nextAttemptAt: this.now() });
    await this.changed();
    await this.flush();
  }

  /** The network is back: every queued item is due now, whatever its back-off said. */
  async resume(): Promise<void> {
    const db = await this.db;
    for (const item of await db.getAll("items")) {
      if (item.state === "queued") await db.put("items", { ...item, nextAttemptAt: this.now() });
    }
    await this.flush();
  }

  /** Forget items sent longer ago than `ageMs`. */
  async prune(ageMs: number): Promise<void> {
    const db = await this.db;
    for (const item of await db.getAll("items")) {
      if (item.state === "sent" && item.sentAt !== null && this.now() - item.sentAt > ageMs) {
        await db.delete("items", item.id);
      }
    }
    await this.changed();
  }

  subscribe(listener: (items: OutboxItem[]) => void): () => void {
    this.listeners.add(listener);
    void this.list().then(listener);
    return () => this.listeners.delete(listener);
  }

  /** Retry when the browser says it is online again (everything waiting, without its back-off),
   * and now (start-up). */
  start(target: Pick<Window, "addEventListener"> = window): void {
    target.addEventListener("online", () => void this.resume());
    void this.recover().then(() => this.flush());
  }

  /** An item left "sending" by a closed tab goes back to the queue (its key makes it safe). */
  private async recover(): Promise<void> {
    const db = await this.db;
    for (const item of await db.getAll("items")) {
      if (item.state === "sending") await db.put("items", { ...item, state: "queued" });
    }
  }

  private async sendDue(): Promise<void> {
    const db = await this.db;
    for (const item of await this.list()) {
      if (item.state !== "queued" || item.nextAttemptAt > this.now()) continue;
      await db.put("items", { ...item, state: "sending" });
      await this.changed();
      await db.put("items", await this.attempt(item));
      await this.changed();
    }
    this.schedule(await this.list());
  }

  private async attempt(item: OutboxItem): Promise<OutboxItem> {
    const attempts = item.attempts + 1;
    let response: Response;
    try {
      response = await this.fetcher(item.url, {
        method: item.method,
        headers: { ...this.extraHeaders(), "Content-Type": "application/json", "Idempotency-Key": item.id },
        body: item.body === undefined ? null : JSON.stringify(item.body),
      });
    } catch (error) {
      return this.later(item, attempts, error instanceof Error ? error.message : String(error));
    }
    if (response.ok) {
      const result: unknown = await response.json().catch(() => undefined);
      return { ...item, attempts, state: "sent", reason: null, sentAt: this.now(), result };
    }
    const reason = await problemDetail(response);
    if (isPermanent(response.status)) return { ...item, attempts, state: "failed", reason };
    return this.later(item, attempts, reason);
  }

  private later(item: OutboxItem, attempts: number, reason: string): OutboxItem {
    const nextAttemptAt = this.now() + backoff(attempts, this.baseDelayMs, this.maxDelayMs);
    return { ...item, attempts, state: "queued", reason, nextAttemptAt };
  }

  private schedule(items: OutboxItem[]): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const due = items.filter((i) => i.state === "queued").map((i) => i.nextAttemptAt);
    if (due.length === 0) return;
    const wait = Math.max(0, Math.min(...due) - this.now());
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  private async changed(): Promise<void> {
    const items = await this.list();
    for (const listener of this.listeners) listener(items);
  }
}

async function problemDetail(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { detail?: string; title?: string };
    return problem.detail ?? problem.title ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}
