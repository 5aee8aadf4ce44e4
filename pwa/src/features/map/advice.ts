// What to do in plain words, per hazard and flood depth (the "risk here" panel).
import type { MessageKey } from "../../i18n";
import type { HazardZoneAt } from "../hazards/api";

/** What to do, in plain words, for a zone: by hazard, and for floods by how deep the water gets. */
export function adviceKey(zone: HazardZoneAt): MessageKey {
  const { hazardType, depthMinM: low, depthMaxM: high } = zone;
  if (hazardType === "flood") {
    if (low === null && high === null) return "advice.flood.any";
    const deepest = high ?? Number.POSITIVE_INFINITY;
    const least = low ?? 0;
    if (least >= 5) return "advice.flood.deep";
    if (least >= 3) return "advice.flood.floor2";
    if (deepest > 0.5) return "advice.flood.floor1";
    return "advice.flood.shallow";
  }
  return `advice.${hazardType}`;
}

/** One line per hazard: the deepest zone of each (zones come deepest first). */
export const worstPerHazard = (zones: HazardZoneAt[]) =>
  zones.filter((zone, i) => zones.findIndex((z) => z.hazardType === zone.hazardType) === i);
