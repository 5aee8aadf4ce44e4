// Answers from the packs stored on the device, for when the network is gone: facility details,
// the nearest shelters (straight-line distance) and the hazard zones at a point.
import { VectorTile } from "@mapbox/vector-tile";
import { PbfReader } from "pbf";
import { type NearestFacility, SHELTER_KINDS } from "../features/facilities/api";
import type { HazardType, HazardZoneAt, ZoneType } from "../features/hazards/api";
import { archiveOf, covering, packFacilities, packKey, storedPacks } from "../features/packs/stored";
import { greatCircleM, insideRings, tileXY } from "../lib/geometry";
import type { MaybeAnswers } from "./answers";

const WALKING_M_PER_MIN = 4000 / 60;

export const packAnswers: MaybeAnswers = {
  async facility(id) {
    for (const { manifest } of storedPacks.value) {
      const found = (await packFacilities(manifest.municipality)).find((f) => f.id === id);
      if (found) return found;
    }
    return null;
  },

  async nearestShelters({ lat, lon }, { hazard, limit = 5 }) {
    if (storedPacks.value.length === 0) return null;
    const all = (await Promise.all(storedPacks.value.map((p) => packFacilities(p.manifest.municipality)))).flat();
    // As the server does: by default, away from the hazards whose zones contain the point.
    // Forecasts only: a past flood rules no shelter out (as on the server).
    const zonesHere = hazard === null ? (await zonesAt(lat, lon)).filter(isForecast) : [];
    const avoid: HazardType[] =
      hazard === null ? [...new Set(zonesHere.map((z) => z.hazardType))] : hazard === "any" ? [] : [hazard];
    const ranked = all
      .filter((f) => f.properties.kinds.some((k) => SHELTER_KINDS.has(k)))
      .filter((f) => hazard === null || hazard === "any" || f.properties.suitableHazards.includes(hazard))
      .map((f) => {
        const distanceM = greatCircleM(lat, lon, f.geometry.coordinates[1], f.geometry.coordinates[0]);
        const walkingMinutes = Math.ceil(distanceM / WALKING_M_PER_MIN);
        // A pack has no live status: an old "open" or "full" would mislead.
        const properties = { ...f.properties, distanceM, walkingMinutes, insideHazardZone: false, status: null };
        return { ...f, properties };
      })
      .sort((a, b) => a.properties.distanceM - b.properties.distanceM);
    const chosen: NearestFacility[] = [];
    let excludedInside = 0;
    for (const f of ranked) {
      if (chosen.length === limit) break;
      if (avoid.length > 0) {
        const [fLon, fLat] = f.geometry.coordinates;
        const inside = (await zonesAt(fLat, fLon)).some((z) => isForecast(z) && avoid.includes(z.hazardType));
        if (inside) {
          excludedInside += 1;
          continue;
        }
      }
      chosen.push(f);
    }
    return {
      type: "FeatureCollection",
      features: chosen,
      origin: { lat, lon },
      hazard: hazard === "any" ? null : hazard,
      excludedInside,
      distanceMethod: "sphere",
      note: "offline pack",
      avoidedHazards: avoid,
      zonesHere,
      liveStatus: false,
    };
  },

  /** Hazard zones containing the point, from the most detailed tile of a stored pack. */
  async hazardsAt({ lat, lon }) {
    const pack = covering(lat, lon)[0];
    if (!pack || !archiveOf(pack.manifest)) return null;
    return { lat, lon, zones: await zonesAt(lat, lon), note: null };
  },
};

type ForecastZone = HazardZoneAt & { hazardType: HazardType };
const isForecast = (zone: HazardZoneAt): zone is ForecastZone => zone.basis !== "history";

/** The hazard zones containing a point, from the most detailed tile of the pack covering it. */
async function zonesAt(lat: number, lon: number): Promise<HazardZoneAt[]> {
  const pack = covering(lat, lon)[0];
  const archive = pack && archiveOf(pack.manifest);
  if (!pack || !archive) return [];
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
    const hazardType = p.hazardType as ZoneType;
    const history = hazardType === "flood_history";
    zones.push({
      hazardType,
      // A past flood's tile carries its year as its rank code (the day stays on the server).
      basis: history ? "history" : "forecast",
      date: null,
      year: history && p.rankCode !== undefined && /^\d{4}$/.test(String(p.rankCode)) ? Number(p.rankCode) : null,
      rankCode: p.rankCode === undefined ? null : String(p.rankCode),
      rankLabel: p.rankLabel === undefined ? null : String(p.rankLabel),
      depthMinM: number(p.depthMinM),
      depthMaxM: number(p.depthMaxM),
      source: "offline pack",
      municipality: pack.manifest.municipality,
      zoneId: `${packKey(pack.manifest)}:${i}`,
    });
  }
  return zones;
}
