import { describe, expect, it } from "vitest";
import type { HazardZoneAt } from "../hazards/api";
import { adviceKey } from "./advice";

const zone = (hazardType: HazardZoneAt["hazardType"], depthMinM: number | null, depthMaxM: number | null) =>
  ({
    hazardType,
    depthMinM,
    depthMaxM,
    rankCode: null,
    rankLabel: null,
    source: "",
    municipality: null,
    zoneId: "z",
  }) as HazardZoneAt;

describe("what to do, per hazard and depth", () => {
  it.each([
    [zone("flood", 0, 0.5), "advice.flood.shallow"],
    [zone("flood", 0.5, 3), "advice.flood.floor1"],
    [zone("flood", 3, 5), "advice.flood.floor2"],
    [zone("flood", 5, 10), "advice.flood.deep"],
    [zone("flood", 20, null), "advice.flood.deep"],
    [zone("flood", null, null), "advice.flood.any"],
    [zone("landslide", null, null), "advice.landslide"],
    [zone("tsunami", 2, 5), "advice.tsunami"],
  ])("%o → %s", (z, key) => {
    expect(adviceKey(z)).toBe(key);
  });
});
