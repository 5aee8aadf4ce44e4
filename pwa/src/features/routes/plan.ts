// Which way a route is found: the server's online; offline (or the server unreachable) the device's
// worker on a stored pack's graph; without a graph, the straight line with its bearing.
import { ApiError } from "../../api/client";
import { greatCircleM } from "../../lib/geometry";
import { fromDevice, fromServer, type RouteAnswer, type RouteTarget, type ServerRoute } from "./api";
import { DeviceRouteError } from "./device";
import { type Coordinate, type DeviceRoute, initialBearing, NIGHT_FACTOR, PROFILES, type RouteOptions } from "./graph";

export interface PackGraphRef {
  code: string;
  version: number;
}

export interface RouteSources {
  server(from: { lat: number; lon: number }, target: RouteTarget, options: RouteOptions): Promise<ServerRoute>;
  /** The stored pack with a graph that covers both ends, if any. */
  packFor(from: Coordinate, to: Coordinate): PackGraphRef | null;
  device(pack: PackGraphRef, from: Coordinate, to: Coordinate, options: RouteOptions): Promise<DeviceRoute>;
  /** Told when the server could not be reached. */
  unreachable(): void;
  offline: boolean;
}

export function straightLine(from: Coordinate, to: Coordinate, options: RouteOptions): RouteAnswer {
  const distanceM = greatCircleM(from[1], from[0], to[1], to[0]);
  const speed = PROFILES[options.profile] * (options.night ? NIGHT_FACTOR : 1);
  return {
    kind: "straight",
    from,
    to,
    distanceM,
    bearing: initialBearing(from, to),
    minutes: Math.round((distanceM / speed / 60) * 10) / 10,
  };
}

export async function findRoute(
  sources: RouteSources,
  from: { lat: number; lon: number },
  target: RouteTarget,
  options: RouteOptions,
): Promise<RouteAnswer> {
  const start: Coordinate = [from.lon, from.lat];
  const end: Coordinate = [target.lon, target.lat];
  if (!sources.offline) {
    try {
      return fromServer(await sources.server(from, target, options));
    } catch (error) {
      // The server's refusals (off the network, no path) stand; only a failed network falls back.
      if (!(error instanceof ApiError) || !error.offline) throw error;
      sources.unreachable();
    }
  }
  const pack = sources.packFor(start, end);
  if (pack) {
    try {
      return fromDevice(await sources.device(pack, start, end, options));
    } catch (error) {
      // Off the pack's roads (another town) or no graph after all: the straight line still helps.
      if (!(error instanceof DeviceRouteError)) throw error;
    }
  }
  return straightLine(start, end, options);
}
