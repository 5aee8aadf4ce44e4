// The hazards feature's calls (server/hazards).
import { coordinates, type Fetch, getJson, type Schemas } from "../../api/client";

import { HAZARD_TYPES } from "../../api/values";

export { HAZARD_TYPES };
export type HazardType = (typeof HAZARD_TYPES)[number];

// The server declares hazardType as a plain string: the app narrows it to the list it knows.
export type HazardZoneAt = Omit<Schemas["HazardAtPoint"], "hazardType"> & { hazardType: HazardType };
export type HazardsAt = Omit<Schemas["HazardsAt"], "zones"> & { zones: HazardZoneAt[] };

/** The hazard zones containing a point. */
export const hazardsAt = (lat: number, lon: number, f?: Fetch) =>
  getJson<HazardsAt>(`/api/hazards/at?${coordinates(lat, lon)}`, f);
