// The routes feature's calls (server/roads) and the one shape the screen shows, whether the route
// came from the server or was computed on the device.
import { getJson, type Schemas } from "../../api/client";
import type { HazardType } from "../hazards/api";
import type { Coordinate, DeviceRoute, Profile, RouteOptions } from "./graph";

export type ServerRoute = Schemas["RouteFeature"];

/** Where a route goes: a facility (by id) or a point. */
export interface RouteTarget {
  facilityId: string | null;
  name: string | null;
  lat: number;
  lon: number;
  /** The hazard to avoid at first (an alert's); absent: the nearest list's choice. */
  hazard?: HazardType | null;
}

export interface ShownRoute extends Omit<DeviceRoute, "destination"> {
  kind: "route";
  /** "server" online; "device" computed on a stored pack's graph. */
  computedOn: "server" | "device";
}

/** Without a graph: the straight line, its bearing and length. */
export interface StraightLine {
  kind: "straight";
  from: Coordinate;
  to: Coordinate;
  distanceM: number;
  bearing: number;
  minutes: number;
}

export type RouteAnswer = ShownRoute | StraightLine;

export function routeQuery(from: { lat: number; lon: number }, target: RouteTarget, options: RouteOptions): string {
  const to = target.facilityId ?? `${target.lat.toFixed(6)},${target.lon.toFixed(6)}`;
  const query = new URLSearchParams({
    from: `${from.lat.toFixed(6)},${from.lon.toFixed(6)}`,
    to,
    profile: options.profile,
    night: String(options.night),
  });
  if (options.hazard) query.set("hazard", options.hazard);
  return `/api/routes?${query}`;
}

export const serverRoute = (from: { lat: number; lon: number }, target: RouteTarget, options: RouteOptions) =>
  getJson<ServerRoute>(routeQuery(from, target, options));

export function fromServer(route: ServerRoute): ShownRoute {
  const p = route.properties;
  return {
    kind: "route",
    computedOn: "server",
    coordinates: route.geometry.coordinates.map(([lon, lat]) => [lon, lat] as Coordinate),
    lengthM: p.lengthM,
    minutes: p.minutes,
    profile: p.profile as Profile,
    night: p.night,
    hazard: p.hazard ?? null,
    insideZoneM: p.insideZoneM,
    avoidsZone: p.avoidsZone,
    leastExposed: !p.avoidsZone && (p.warning ?? "").includes("least exposed"),
    steps: p.steps.map((s) => ({
      maneuver: s.maneuver,
      name: s.maneuver === "arrive" ? "" : s.name,
      distanceM: s.distanceM,
      location: [s.location[0], s.location[1]],
    })),
  };
}

export function fromDevice(route: DeviceRoute): ShownRoute {
  return { kind: "route", computedOn: "device", ...route };
}
