// What the resident's map screen shares between the map, the panels and the sheet.
import { signal } from "@preact/signals";
import { type HazardType, ZONE_TYPES, type ZoneType } from "../features/hazards/api";

export interface Place {
  lat: number;
  lon: number;
  /** "here" from the device's location, "point" chosen on the map. */
  origin: "here" | "point";
}

export const place = signal<Place | null>(null);
export const openFacility = signal<string | null>(null);
/** Whether the full (MapLibre) map has drawn; until then the sketch covers it. */
export const mapReady = signal(false);
/** Whether the sketch has finished (drawn, or given up): the full map's bytes wait for it, so
 * that on a weak signal the few kilobytes of tiles are not shared with MapLibre's 350. */
export const sketchSettled = signal(false);
export const hiddenHazards = signal<ReadonlySet<ZoneType>>(new Set());
/** What "nearest" avoids: null (the default) the hazards at the place, "any" none, or one hazard. */
export const nearestHazard = signal<HazardType | "any" | null>(null);

export function toggleHazard(hazard: ZoneType): void {
  const next = new Set(hiddenHazards.value);
  if (next.has(hazard)) next.delete(hazard);
  else next.add(hazard);
  hiddenHazards.value = next;
}

export const visibleHazards = () => ZONE_TYPES.filter((h) => !hiddenHazards.value.has(h));

/** The chosen place as a query key (null: none chosen yet). */
export const placeKey = () => (place.value ? `${place.value.lat.toFixed(5)},${place.value.lon.toFixed(5)}` : null);
