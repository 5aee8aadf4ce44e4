import { describe, expect, it } from "vitest";
import { HERE_RADIUS_M, hereArea, MOVE_M, metres } from "./here";

describe("where I am", () => {
  it("is a 1 km point, rounded to about 10 m, marked as the moving one", () => {
    expect(hereArea(40.822276, 140.747412, "現在地")).toEqual({
      lat: 40.8223,
      lon: 140.7474,
      radiusM: HERE_RADIUS_M,
      here: true,
      label: "現在地",
    });
  });

  it("measures metres well enough to tell a move from a wandering fix", () => {
    // 0.01° of latitude is about 1,112 m; of longitude at 40.8° about 842 m.
    expect(metres({ lat: 40.8, lon: 140.7 }, { lat: 40.81, lon: 140.7 })).toBeCloseTo(1112, -1);
    expect(metres({ lat: 40.8, lon: 140.7 }, { lat: 40.8, lon: 140.71 })).toBeCloseTo(842, -1);
    expect(metres({ lat: 40.8, lon: 140.7 }, { lat: 40.8005, lon: 140.7 })).toBeLessThan(MOVE_M);
  });
});
