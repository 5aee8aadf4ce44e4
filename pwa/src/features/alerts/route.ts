// "ここへの避難ルート" from an alert: the route panel on the map, to one of the shelters the alert
// lists, avoiding the alert's hazard. It starts where the list was measured from when that is the
// resident's own point (My Areas), unless a place is chosen on the map already; else the panel
// offers what it has (home, work) or asks for a place.
import type { Place } from "../../map/state";
import type { HazardType } from "../hazards/api";
import type { RouteTarget } from "../routes/api";

export interface ListedShelter {
  id?: string | number | null;
  properties: { name: string };
  geometry: { coordinates: number[] };
}

export function alertRoute(
  shelter: ListedShelter,
  hazard: HazardType | null,
  myPoint: { lat: number; lon: number } | null,
  chosen: Place | null,
): { target: RouteTarget; start: Place | null } {
  const [lon = 0, lat = 0] = shelter.geometry.coordinates;
  return {
    target: {
      facilityId: shelter.id == null ? null : String(shelter.id),
      name: shelter.properties.name,
      lat,
      lon,
      // An alert of a hazard no zone is drawn for: the route panel's own choice.
      ...(hazard ? { hazard } : {}),
    },
    start: chosen ?? (myPoint ? { lat: myPoint.lat, lon: myPoint.lon, origin: "point" } : null),
  };
}
