// Offline packs on the device: downloaded whole (resumable), checked against the manifest's
// SHA-256 before anything replaces the stored pack, kept in Cache Storage.
import type { PackManifest } from "./api";

export interface StoredPack {
  manifest: PackManifest;
  storedAt: number;
}

/** Where the pack's files live on the device. */
export interface PackStore {
  put(manifest: PackManifest, archive: Blob, facilities: Blob, storedAt: number, graph?: Blob | null): Promise<void>;
}

export class ChecksumError extends Error {}
export class QuotaError extends Error {}

export async function sha256(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as BufferSource);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export type Fetcher = (input: string, init?: RequestInit) => Promise<Response>;

/** A download that can be resumed after a failure (it keeps what it has received). */
export class PackDownload {
  readonly chunks: Uint8Array[] = [];
  received = 0;

  constructor(
    readonly manifest: PackManifest,
    private readonly fetcher: Fetcher = (input, init) => fetch(input, init),
  ) {}

  /** Fetch what is missing, verify, and store; `onProgress` hears bytes received of the total. */
  async run(store: PackStore, onProgress: (received: number, total: number) => void, now = Date.now()): Promise<void> {
    const { manifest } = this;
    const headers: Record<string, string> = {};
    if (this.received > 0) {
      headers.Range = `bytes=${this.received}-`;
      headers["If-Range"] = `"${manifest.sha256}"`;
    }
    const response = await this.fetcher(manifest.url, { headers, cache: "no-store" });
    if (response.status === 200 && this.received > 0) {
      this.chunks.length = 0; // the server sent it whole: start again
      this.received = 0;
    } else if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
    const reader = response.body?.getReader();
    if (!reader) throw new Error("no response body");
    onProgress(this.received, manifest.bytes);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      this.chunks.push(value);
      this.received += value.byteLength;
      onProgress(this.received, manifest.bytes);
    }
    const archive = new Blob(this.chunks as BlobPart[]);
    const archiveBytes = new Uint8Array(await archive.arrayBuffer());
    if ((await sha256(archiveBytes)) !== manifest.sha256) {
      this.chunks.length = 0; // a corrupted copy is not resumed
      this.received = 0;
      throw new ChecksumError("checksum");
    }
    const list = await this.fetcher(manifest.facilities.url, { cache: "no-store" });
    if (!list.ok) throw new Error(`HTTP ${list.status}`);
    const facilities = new Uint8Array(await list.arrayBuffer());
    if ((await sha256(facilities)) !== manifest.facilities.sha256) throw new ChecksumError("checksum");
    // The walkable graph, for routes on the device (features/routes); a town without roads has none.
    let graph: Blob | null = null;
    if (manifest.graph) {
      const answer = await this.fetcher(manifest.graph.url, { cache: "no-store" });
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
      const bytes = new Uint8Array(await answer.arrayBuffer());
      if ((await sha256(bytes)) !== manifest.graph.sha256) throw new ChecksumError("checksum");
      graph = new Blob([bytes as BlobPart]);
    }
    try {
      await store.put(manifest, archive, new Blob([facilities as BlobPart]), now, graph);
    } catch (error) {
      if (error instanceof DOMException && error.name === "QuotaExceededError") throw new QuotaError("quota");
      throw error;
    }
  }
}

export const packFileKey = (code: string, what: "pmtiles" | "facilities.json" | "graph.json" | "manifest.json") =>
  `/offline-packs/${code}.${what}`;
const key = packFileKey;
export const CACHE = "bosai-packs";

/** The device's packs, in Cache Storage: the manifest is written last, so a pack is whole or absent. */
export const cacheStore: PackStore & {
  list(): Promise<StoredPack[]>;
  archive(code: string): Promise<Blob | null>;
  facilities(code: string): Promise<unknown>;
  remove(code: string): Promise<void>;
} = {
  async put(manifest, archive, facilities, storedAt, graph) {
    const cache = await caches.open(CACHE);
    const octets = { "Content-Type": "application/octet-stream" };
    await cache.put(key(manifest.municipality, "pmtiles"), new Response(archive, { headers: octets }));
    await cache.put(key(manifest.municipality, "facilities.json"), new Response(facilities));
    if (graph) await cache.put(key(manifest.municipality, "graph.json"), new Response(graph));
    else await cache.delete(key(manifest.municipality, "graph.json"));
    const stored: StoredPack = { manifest, storedAt };
    await cache.put(key(manifest.municipality, "manifest.json"), new Response(JSON.stringify(stored)));
  },
  async list() {
    const cache = await caches.open(CACHE);
    const requests = (await cache.keys()).filter((r) => r.url.endsWith(".manifest.json"));
    const packs = await Promise.all(
      requests.map(async (r) => (await (await cache.match(r))?.json()) as StoredPack | undefined),
    );
    return packs.filter((p): p is StoredPack => p !== undefined);
  },
  async archive(code) {
    return (await (await caches.open(CACHE)).match(key(code, "pmtiles")))?.blob() ?? null;
  },
  async facilities(code) {
    return (await (await caches.open(CACHE)).match(key(code, "facilities.json")))?.json() ?? null;
  },
  async remove(code) {
    const cache = await caches.open(CACHE);
    await cache.delete(key(code, "manifest.json"));
    await cache.delete(key(code, "pmtiles"));
    await cache.delete(key(code, "facilities.json"));
    await cache.delete(key(code, "graph.json"));
  },
};

/** Room for `bytes` more, as far as the browser says; asks once for persistent storage. */
export async function ensureRoom(bytes: number): Promise<void> {
  await navigator.storage?.persist?.();
  const estimate = await navigator.storage?.estimate?.();
  if (estimate?.quota !== undefined && estimate.usage !== undefined && estimate.quota - estimate.usage < bytes * 1.2) {
    throw new QuotaError("quota");
  }
}
