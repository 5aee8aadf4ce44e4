import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import type { ServerRoute } from "./api";
import { DeviceRouteError } from "./device";
import type { DeviceRoute } from "./graph";
import { findRoute, type RouteSources } from "./plan";

const FROM = { lat: 40.8, lon: 140.75 };
const TARGET = { facilityId: "f1", name: "A小学校", lat: 40.81, lon: 140.75 };
const OPTIONS = { profile: "elderly" as const, hazard: "flood", night: false };

const SERVER: ServerRoute = {
  type: "Feature",
  geometry: {
    type: "LineString",
    coordinates: [
      [140.75, 40.8],
      [140.75, 40.81],
    ],
  },
  properties: {
    lengthM: 1112,
    minutes: 37.1,
    profile: "elderly",
    night: false,
    speedMPerS: 0.5,
    hazard: "flood",
    insideZoneM: 0,
    avoidsZone: true,
    warning: null,
    destination: { lat: 40.81, lon: 140.75, facilityId: "f1", name: "A小学校" },
    steps: [
      { maneuver: "depart", name: "本町通り", distanceM: 1112, location: [140.75, 40.8], text: "" },
      { maneuver: "arrive", name: "A小学校", distanceM: 0, location: [140.75, 40.81], text: "" },
    ],
    snapM: [0, 0],
  },
};

const DEVICE: DeviceRoute = {
  coordinates: SERVER.geometry.coordinates as [number, number][],
  lengthM: 1110,
  minutes: 37,
  profile: "elderly",
  night: false,
  hazard: "flood",
  insideZoneM: 0,
  avoidsZone: true,
  leastExposed: false,
  steps: [],
  destination: 0,
};

function sources(overrides: Partial<RouteSources> = {}): RouteSources & { told: number } {
  const state = {
    told: 0,
    offline: false,
    server: async () => SERVER,
    packFor: () => ({ code: "029998", version: 1 }),
    device: async () => DEVICE,
    unreachable() {
      state.told += 1;
    },
    ...overrides,
  };
  return state;
}

describe("finding a route", () => {
  it("asks the server online", async () => {
    const answer = await findRoute(sources(), FROM, TARGET, OPTIONS);
    expect(answer).toMatchObject({ kind: "route", computedOn: "server", lengthM: 1112 });
  });

  it("computes on the device when the server cannot be reached, and says so", async () => {
    const s = sources({
      server: async () => {
        throw new ApiError(0, "Failed to fetch");
      },
    });
    const answer = await findRoute(s, FROM, TARGET, OPTIONS);
    expect(answer).toMatchObject({ kind: "route", computedOn: "device", lengthM: 1110 });
    expect(s.told).toBe(1);
    // Known offline: the server is not asked at all.
    let asked = 0;
    const offline = sources({
      offline: true,
      server: async () => {
        asked += 1;
        return SERVER;
      },
    });
    expect((await findRoute(offline, FROM, TARGET, OPTIONS)).kind).toBe("route");
    expect(asked).toBe(0);
  });

  it("keeps the server's refusals", async () => {
    const s = sources({
      server: async () => {
        throw new ApiError(404, "from: no walkable road within 500 m");
      },
    });
    await expect(findRoute(s, FROM, TARGET, OPTIONS)).rejects.toThrow("no walkable road");
  });

  it("falls back to the straight line and its bearing without a graph", async () => {
    for (const s of [
      sources({ offline: true, packFor: () => null }),
      sources({
        offline: true,
        device: async () => {
          throw new DeviceRouteError("no_graph", "none");
        },
      }),
    ]) {
      const answer = await findRoute(s, FROM, TARGET, OPTIONS);
      if (answer.kind !== "straight") throw new Error("expected a straight line");
      expect(answer.distanceM).toBeCloseTo(1112, -1);
      expect(answer.bearing).toBeCloseTo(0, 3);
      expect(answer.minutes).toBeCloseTo(1112 / 0.5 / 60, 0);
    }
  });
});
