// Answers from the packs stored on the device, for when the network is gone: the map's tiles,
// facility details, the nearest shelters and the hazards at a point.
import { VectorTile } from "@mapbox/vector-tile";
import { signal } from "@preact/signals";
import { PbfReader } from "pbf";
import { FileSource, PMTiles } from "pmtiles";
import {
  ApiError,
  type Facility,
  type HazardsAt,
  type HazardType,
  type HazardZoneAt,
  type Nearest,
  type NearestFacility,
} from "./api";
import { greatCircleM, insideRings, tileXY } from "./geometry";
import { protocol } from "./map/protocol";
import { cacheStore, type PackManifest, type StoredPack } from "./packs";
import { serverReachable } from "./status";

export const storedPacks = signal<StoredPack[]>([]);

const SHELTER_KINDS = new Set([
  "designated_shelter",
  "welfare_shelter",
  "emergency_site",
  "tsunami_building",
  "wide_area_site",
]);
const WALKING_M_PER_MIN = 4000 / 60;

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

function covering(lat: number, lon: number): StoredPack[] {
  return storedPacks.value.filter(
    ({ manifest: { bbox } }) => lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3],
  );
}

async function facilities(code: string): Promise<Facility[]> {
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

export async function facilityOffline(id: string): Promise<Facility | null> {
  for (const { manifest } of storedPacks.value) {
    const found = (await facilities(manifest.municipality)).find((f) => f.id === id);
    if (found) return found;
  }
  return null;
}

export async function nearestOffline(
  lat: number,
  lon: number,
  hazard: HazardType | null,
  limit = 5,
): Promise<Nearest | null> {
  if (storedPacks.value.length === 0) return null;
  const all = (await Promise.all(storedPacks.value.map((p) => facilities(p.manifest.municipality)))).flat();
  const chosen: NearestFacility[] = all
    .filter((f) => f.properties.kinds.some((k) => SHELTER_KINDS.has(k)))
    .filter((f) => hazard === null || f.properties.suitableHazards.includes(hazard))
    .map((f) => {
      const distanceM = greatCircleM(lat, lon, f.geometry.coordinates[1], f.geometry.coordinates[0]);
      const walkingMinutes = Math.ceil(distanceM / WALKING_M_PER_MIN);
      return { ...f, properties: { ...f.properties, distanceM, walkingMinutes, insideHazardZone: false } };
    })
    .sort((a, b) => a.properties.distanceM - b.properties.distanceM)
    .slice(0, limit);
  return {
    type: "FeatureCollection",
    features: chosen,
    origin: { lat, lon },
    hazard,
    excludedInside: 0,
    distanceMethod: "sphere",
    note: "offline pack",
  };
}

/** Hazard zones containing the point, from the most detailed tile of a stored pack. */
export async function hazardsAtOffline(lat: number, lon: number): Promise<HazardsAt | null> {
  const pack = covering(lat, lon)[0];
  const archive = pack && archives.get(packKey(pack.manifest));
  if (!pack || !archive) return null;
  const z = pack.manifest.maxZoom;
  const [fx, fy] = tileXY(lon, lat, z);
  const [x, y] = [Math.floor(fx), Math.floor(fy)];
  const tile = await archive.getZxy(z, x, y);
  const zones: HazardZoneAt[] = [];
  const layer = tile ? new VectorTile(new PbfReader(new Uint8Array(tile.data))).layers.hazards : undefined;
  for (let i = 0; layer && i < layer.length; i++) {
    const feature = layer.feature(i);
    if (!insideRings(feature.loadGeometry(), (fx - x) * feature.extent, (fy - y) * feature.extent)) continue;
    const p = feature.properties;
    const number = (v: unknown) => (typeof v === "number" ? v : null);
    zones.push({
      hazardType: p.hazardType as HazardType,
      rankCode: p.rankCode === undefined ? null : String(p.rankCode),
      rankLabel: p.rankLabel === undefined ? null : String(p.rankLabel),
      depthMinM: number(p.depthMinM),
      depthMaxM: number(p.depthMaxM),
      source: "offline pack",
      municipality: pack.manifest.municipality,
      zoneId: `${packKey(pack.manifest)}:${i}`,
    });
  }
  return { lat, lon, zones, note: null };
}

/** The newest data any stored pack holds, for "data as of …". */
export function packsDataAsOf(): string | null {
  const dates = storedPacks.value.map((p) => p.manifest.dataAsOf ?? p.manifest.builtAt).sort();
  return dates.at(-1) ?? null;
}

/** The online answer; when the network is gone, the stored packs' answer (if they have one). */
export async function orOffline<T>(online: () => Promise<T>, offlineAnswer: () => Promise<T | null>): Promise<T> {
  try {
    return await online();
  } catch (error) {
    if (error instanceof ApiError && error.offline) {
      serverReachable.value = false;
      const answer = await offlineAnswer();
      if (answer !== null) return answer;
    }
    throw error;
  }
}
