// What to do in plain words, per hazard and flood depth (the "risk here" panel).
import type { MessageKey } from "../../i18n";
import type { HazardZoneAt } from "../hazards/api";

/** What to do, in plain words, for a zone: by hazard, and for floods by how deep the water gets. */
export function adviceKey(zone: HazardZoneAt): MessageKey {
  const { hazardType, depthMinM: low, depthMaxM: high } = zone;
  // A past flood is told as what happened here, never as a forecast depth.
  if (hazardType === "flood_history") return "advice.flood_history";
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

/** One line per hazard: the deepest zone of each (zones come deepest first). Past floods are
 * left to {@link pastFloods}. */
export const worstPerHazard = (zones: HazardZoneAt[]) =>
  zones.filter((zone, i) => zone.basis !== "history" && zones.findIndex((z) => z.hazardType === zone.hazardType) === i);

/** When this place was flooded, newest first, once each: the day where known, else the year. */
export function pastFloods(zones: HazardZoneAt[]): { date: string | null; year: number | null }[] {
  const seen = new Set<string>();
  return zones
    .filter((z) => z.basis === "history")
    .map((z) => ({ date: z.date ?? null, year: z.year ?? null }))
    .sort((a, b) => (b.date ?? String(b.year ?? "")).localeCompare(a.date ?? String(a.year ?? "")))
    .filter((when) => {
      const key = when.date ?? String(when.year);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
