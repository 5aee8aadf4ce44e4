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
export type ZoneHere = Omit<Schemas["ZoneHere"], "hazardType"> & { hazardType: HazardType };
export type Nearest = Omit<
  Schemas["NearestCollection"],
  "features" | "hazard" | "avoidedHazards" | "zonesHere" | "nearestOpen"
> & {
  features: NearestFacility[];
  /** When none of `features` takes people now: the nearest shelter that does, further away. */
  nearestOpen?: NearestFacility | null;
  hazard: HazardType | null;
  avoidedHazards: HazardType[];
  zonesHere: ZoneHere[];
};

/** What "nearest" avoids: a hazard, "any" (none), or null: the hazards at the place (the default). */
export type NearestHazard = HazardType | "any" | null;

export const facility = (id: string, f?: Fetch) => getJson<Facility>(`/api/facilities/${encodeURIComponent(id)}`, f);

/** The nearest shelters to a point: suitable for `hazard` when given, else away from the hazards there. */
export const nearest = (lat: number, lon: number, hazard: NearestHazard, limit = 5, f?: Fetch, walking = false) =>
  getJson<Nearest>(
    `/api/facilities/nearest?${coordinates(lat, lon)}&limit=${limit}${hazard ? `&hazard=${hazard}` : ""}${walking ? "&walking=true" : ""}`,
    f,
  );

// Open shelters first: the order a resident should consider them in, then by distance. Places not
// operated as shelters now (evacuation sites, or no event) come after the open ones; full and
// closed ones last — the list says when one of those is nearer.
const RANK: Record<string, number> = { open: 0, crowded: 1, none: 2, full: 3, closed: 4 };
const rank = (f: NearestFacility) => RANK[f.properties.status?.status ?? "none"] ?? 2;

export function openFirst(features: readonly NearestFacility[]): NearestFacility[] {
  // On foot when the walks are known (a place the roads do not reach comes after those they do).
  const walked = features.some((f) => f.properties.walkingDistanceM != null);
  const far = (f: NearestFacility) =>
    walked ? (f.properties.walkingDistanceM ?? Number.POSITIVE_INFINITY) : f.properties.distanceM;
  return [...features].sort(
    (a, b) => rank(a) - rank(b) || far(a) - far(b) || a.properties.distanceM - b.properties.distanceM,
  );
}

/** The full (or closed) shelters nearer than the first one the sorted list proposes. */
export function nearerButFull(features: readonly NearestFacility[]): NearestFacility[] {
  const first = openFirst(features)[0];
  if (first === undefined) return [];
  return features.filter(
    (f) =>
      (f.properties.status?.status === "full" || f.properties.status?.status === "closed") &&
      f.properties.distanceM < first.properties.distanceM,
  );
}

/** The one capacity to show: the operating one while the shelter is operated, else the facility's. */
export const shownCapacity = (p: { capacity: number | null; status?: ShelterStatus | null }) =>
  p.status && p.status.status !== "closed" && p.status.capacity != null ? p.status.capacity : p.capacity;
