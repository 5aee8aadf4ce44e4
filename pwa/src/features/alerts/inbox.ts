// The alerts this device received (from a push, in the service worker) or read (from the server),
// kept in IndexedDB so the inbox opens offline. No DOM here: the service worker imports it.
import { type DBSchema, type IDBPDatabase, openDB } from "idb";

export interface StoredAlert {
  id: string;
  kind: string;
  level: number | null;
  /** The headline in the language it arrived in (a push: the subscriber's first language). */
  headline: string;
  headlines?: Record<string, string>;
  action: string;
  status?: string;
  issuedAt?: string | null;
  receivedAt: string;
  cancelled?: boolean;
  /** The server's whole answer for the alert, once read (area, shelters, free text). */
  detail?: unknown;
}

interface InboxDb extends DBSchema {
  alerts: { key: string; value: StoredAlert };
  settings: { key: string; value: { key: string; value: unknown } };
}

const KEEP = 200;
let opened: Promise<IDBPDatabase<InboxDb>> | null = null;

function db(): Promise<IDBPDatabase<InboxDb>> {
  opened ??= openDB<InboxDb>("bosai-alerts", 1, {
    upgrade(database) {
      database.createObjectStore("alerts", { keyPath: "id" });
      database.createObjectStore("settings", { keyPath: "key" });
    },
  });
  return opened;
}

/** Newest first: by the time issued, else the time received. */
export function newestFirst(alerts: readonly StoredAlert[]): StoredAlert[] {
  const when = (a: StoredAlert) => Date.parse(a.issuedAt ?? a.receivedAt) || 0;
  return [...alerts].sort((a, b) => when(b) - when(a) || b.id.localeCompare(a.id));
}

/** Keep an alert, merged into what is stored for it (a push first, its detail later). */
export async function keepAlert(alert: Omit<StoredAlert, "receivedAt"> & { receivedAt?: string }): Promise<void> {
  const database = await db();
  const tx = database.transaction("alerts", "readwrite");
  const before = await tx.store.get(alert.id);
  const defined = Object.fromEntries(Object.entries(alert).filter(([, v]) => v !== undefined));
  await tx.store.put({
    ...before,
    ...defined,
    receivedAt: before?.receivedAt ?? alert.receivedAt ?? new Date().toISOString(),
  } as StoredAlert);
  await tx.done;
}

export async function storedAlerts(): Promise<StoredAlert[]> {
  const all = newestFirst(await (await db()).getAll("alerts"));
  // The oldest beyond what a phone needs are forgotten.
  if (all.length > KEEP) {
    const database = await db();
    for (const old of all.slice(KEEP)) await database.delete("alerts", old.id);
  }
  return all.slice(0, KEEP);
}

export async function storedAlert(id: string): Promise<StoredAlert | undefined> {
  return (await db()).get("alerts", id);
}

/** A setting the service worker also reads (the subscriber's language for a notification's words). */
export async function keepSetting(key: string, value: unknown): Promise<void> {
  await (await db()).put("settings", { key, value });
}

export async function setting<T>(key: string): Promise<T | undefined> {
  return (await (await db()).get("settings", key))?.value as T | undefined;
}
