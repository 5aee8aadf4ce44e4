// The packs stored on this device, opened for reading: their archives serve the map's tiles
// (pmtiles://) and, through answers/, facility details, the nearest shelters and hazards at a point.
import { signal } from "@preact/signals";
import { FileSource, PMTiles } from "pmtiles";
import { protocol } from "../../map/protocol";
import type { Facility } from "../facilities/api";
import type { PackManifest } from "./api";
import { cacheStore, type StoredPack } from "./download";

export const storedPacks = signal<StoredPack[]>([]);

const archives = new Map<string, PMTiles>();
const facilityLists = new Map<string, Facility[]>();

export const packKey = (m: PackManifest) => `${m.municipality}-v${m.version}`;
export const packSourceUrl = (m: PackManifest) => `pmtiles://${packKey(m)}.pmtiles`;

/** Read the stored packs and open their archives (once per version). */
export async function refreshPacks(): Promise<void> {
  const packs = await cacheStore.list();
  for (const { manifest } of packs) {
    const id = packKey(manifest);
    if (archives.has(id)) continue;
    const blob = await cacheStore.archive(manifest.municipality);
    if (!blob) continue;
    const archive = new PMTiles(new FileSource(new File([blob], `${id}.pmtiles`)));
    protocol.add(archive);
    archives.set(id, archive);
    facilityLists.delete(manifest.municipality);
  }
  storedPacks.value = packs.sort((a, b) => a.manifest.municipality.localeCompare(b.manifest.municipality));
}

/** The opened archive of a stored pack. */
export const archiveOf = (manifest: PackManifest): PMTiles | undefined => archives.get(packKey(manifest));

/** The stored packs whose bounding box holds the point. */
export function covering(lat: number, lon: number): StoredPack[] {
  return storedPacks.value.filter(
    ({ manifest: { bbox } }) => lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3],
  );
}

/** A stored pack's facilities, as the facility API would give them (read once). */
export async function packFacilities(code: string): Promise<Facility[]> {
  let list = facilityLists.get(code);
  if (!list) {
    const document = (await cacheStore.facilities(code)) as { features: Facility[] } | null;
    list = (document?.features ?? []).map((f) => ({
      ...f,
      properties: { ...f.properties, municipality: code, sourceIds: [], withdrawn: false, status: null },
    }));
    facilityLists.set(code, list);
  }
  return list;
}

/** The newest data any stored pack holds, for "data as of …". */
export function packsDataAsOf(): string | null {
  const dates = storedPacks.value.map((p) => p.manifest.dataAsOf ?? p.manifest.builtAt).sort();
  return dates.at(-1) ?? null;
}
