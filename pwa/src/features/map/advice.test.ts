import { describe, expect, it } from "vitest";
import type { HazardZoneAt } from "../hazards/api";
import { adviceKey, pastFloods, worstPerHazard } from "./advice";

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

describe("past floods", () => {
  const history = (date: string | null, year: number | null) =>
    ({ ...zone("flood_history", null, null), basis: "history", date, year }) as HazardZoneAt;

  it("are told as history, not as a forecast depth", () => {
    expect(adviceKey(history("2019-10-12", 2019))).toBe("advice.flood_history");
    expect(worstPerHazard([history("2019-10-12", 2019), zone("flood", 0.5, 3)]).map((z) => z.hazardType)).toEqual([
      "flood",
    ]);
  });

  it("list each flood once, newest first", () => {
    const zones = [history(null, 1981), history("2019-10-12", 2019), history("2018-07-06", 2018), history(null, 1981)];
    expect(pastFloods(zones)).toEqual([
      { date: "2019-10-12", year: 2019 },
      { date: "2018-07-06", year: 2018 },
      { date: null, year: 1981 },
    ]);
  });
});
