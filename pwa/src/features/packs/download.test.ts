import { describe, expect, it } from "vitest";
import type { PackManifest } from "./api";
import { ChecksumError, PackDownload, type PackStore, sha256 } from "./download";

const ARCHIVE = new Uint8Array(Array.from({ length: 50_000 }, (_, i) => (i * 7) % 251));
const FACILITIES = new TextEncoder().encode('{"type":"FeatureCollection","features":[]}');

async function manifestFor(archive = ARCHIVE): Promise<PackManifest> {
  return {
    municipality: "029998",
    name: "見本市",
    version: 2,
    builtAt: "2026-11-23T00:00:00Z",
    dataAsOf: null,
    url: "/packs/029998/2.pmtiles",
    bytes: archive.byteLength,
    sha256: await sha256(archive),
    bbox: [140.69, 40.76, 140.84, 40.87],
    minZoom: 8,
    maxZoom: 16,
    layers: ["boundaries", "hazards", "facilities"],
    tileCount: 10,
    facilities: {
      url: "/packs/029998/2.facilities.json",
      bytes: FACILITIES.byteLength,
      sha256: await sha256(FACILITIES),
      count: 0,
    },
    buildSeconds: 0.5,
    graph: null,
  };
}

/** A server that honours Range, and can cut a response short (a dropped connection). */
function server(options: { cutAfter?: number; corrupt?: boolean } = {}) {
  const ranges: (string | null)[] = [];
  let cut = options.cutAfter;
  const fetcher = async (url: string, init?: RequestInit): Promise<Response> => {
    if (url.endsWith(".facilities.json")) return new Response(FACILITIES);
    const range = new Headers(init?.headers).get("Range");
    ranges.push(range);
    const start = range ? Number(range.replace("bytes=", "").split("-")[0]) : 0;
    const body = ARCHIVE.slice(start);
    if (options.corrupt) body[10] = (body[10] ?? 0) ^ 0xff;
    const limit = cut;
    cut = undefined;
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (limit !== undefined && offset >= limit) controller.error(new TypeError("network connection lost"));
        else if (offset >= body.length) controller.close();
        else {
          controller.enqueue(body.slice(offset, offset + 8192));
          offset += 8192;
        }
      },
    });
    return new Response(stream, { status: range ? 206 : 200 });
  };
  return { ranges, fetcher };
}

function memoryStore() {
  const puts: { version: number; archive: Uint8Array }[] = [];
  const store: PackStore = {
    async put(manifest, archive) {
      puts.push({ version: manifest.version, archive: new Uint8Array(await archive.arrayBuffer()) });
    },
  };
  return { puts, store };
}

describe("pack download", () => {
  it("stores a verified archive and reports progress up to its size", async () => {
    const manifest = await manifestFor();
    const { fetcher } = server();
    const { puts, store } = memoryStore();
    const progress: number[] = [];
    await new PackDownload(manifest, fetcher).run(store, (received) => progress.push(received));
    expect(puts).toHaveLength(1);
    expect(puts[0]?.archive).toEqual(ARCHIVE);
    expect(progress.at(-1)).toBe(ARCHIVE.byteLength);
  });

  it("resumes after a dropped connection with a Range request, and the result is whole", async () => {
    const manifest = await manifestFor();
    const { fetcher, ranges } = server({ cutAfter: 16_384 });
    const { puts, store } = memoryStore();
    const download = new PackDownload(manifest, fetcher);
    await expect(download.run(store, () => {})).rejects.toThrow("network connection lost");
    expect(puts).toHaveLength(0);
    expect(download.received).toBe(16_384);
    await download.run(store, () => {});
    expect(ranges).toEqual([null, "bytes=16384-"]);
    expect(puts[0]?.archive).toEqual(ARCHIVE);
  });

  it("refuses a corrupted archive: nothing is stored and the next try starts over", async () => {
    const manifest = await manifestFor();
    const { fetcher, ranges } = server({ corrupt: true });
    const { puts, store } = memoryStore();
    const download = new PackDownload(manifest, fetcher);
    await expect(download.run(store, () => {})).rejects.toBeInstanceOf(ChecksumError);
    expect(puts).toHaveLength(0);
    expect(download.received).toBe(0);
    await expect(download.run(store, () => {})).rejects.toBeInstanceOf(ChecksumError);
    expect(ranges).toEqual([null, null]);
  });
});
