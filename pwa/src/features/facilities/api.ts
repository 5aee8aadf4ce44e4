// The facilities feature's calls (server/facilities).
import { coordinates, type Fetch, getJson, type Schemas } from "../../api/client";
import { FACILITY_KINDS, SHELTER_KINDS as SHELTER_KIND_LIST } from "../../api/values";
import type { HazardType } from "../hazards/api";

export { FACILITY_KINDS };
export type FacilityKind = (typeof FACILITY_KINDS)[number];

/** The kinds a resident can shelter in (the nearest shelters are among these). */
export const SHELTER_KINDS: ReadonlySet<string> = new Set<FacilityKind>(SHELTER_KIND_LIST);

export interface ShelterStatus extends Omit<Schemas["ShelterStatus"], "status"> {
  status: "open" | "crowded" | "full" | "closed";
}

// The server declares kinds, hazards and status as plain strings: the app narrows them to the
// lists it knows (and translates).
type Narrowed<P> = Omit<P, "kinds" | "suitableHazards" | "status"> & {
  kinds: FacilityKind[];
  suitableHazards: HazardType[];
  status?: ShelterStatus | null;
};
type Feature<P> = Omit<Schemas["FacilityDetail"], "properties"> & { properties: P };

export type FacilityProperties = Narrowed<Schemas["FacilityDetailProperties"]>;
export type Facility = Feature<FacilityProperties>;
export type NearestFacility = Feature<Narrowed<Schemas["NearestProperties"]>>;
export type Nearest = Omit<Schemas["NearestCollection"], "features" | "hazard"> & {
  features: NearestFacility[];
  hazard: HazardType | null;
};

export const facility = (id: string, f?: Fetch) => getJson<Facility>(`/api/facilities/${encodeURIComponent(id)}`, f);

/** The nearest shelters to a point (suitable for `hazard` when given). */
export const nearest = (lat: number, lon: number, hazard: HazardType | null, limit = 5, f?: Fetch) =>
  getJson<Nearest>(
    `/api/facilities/nearest?${coordinates(lat, lon)}&limit=${limit}${hazard ? `&hazard=${hazard}` : ""}`,
    f,
  );
