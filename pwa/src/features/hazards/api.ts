// The hazards feature's calls (server/hazards).
import { coordinates, type Fetch, getJson, type Schemas } from "../../api/client";

import { HAZARD_TYPES, ZONE_TYPES } from "../../api/values";

export { HAZARD_TYPES, ZONE_TYPES };
/** A hazard a place may be exposed to (what shelters are designated for, what "nearest" avoids). */
export type HazardType = (typeof HAZARD_TYPES)[number];
/** What a zone on the map may be: a hazard's forecast, or a record of the past (flood_history). */
export type ZoneType = (typeof ZONE_TYPES)[number];

// The server declares hazardType as a plain string: the app narrows it to the list it knows.
export type HazardZoneAt = Omit<Schemas["HazardAtPoint"], "hazardType"> & { hazardType: ZoneType };
export type HazardsAt = Omit<Schemas["HazardsAt"], "zones"> & { zones: HazardZoneAt[] };

/** The hazard zones containing a point. */
export const hazardsAt = (lat: number, lon: number, f?: Fetch) =>
  getJson<HazardsAt>(`/api/hazards/at?${coordinates(lat, lon)}`, f);
