import { describe, expect, it } from "vitest";
import { tileXY } from "../lib/geometry";
import { facilityAt, fitView, place, tilesFor, toScreen, zoneLook } from "./sketch";
import { DEPTH_BANDS, LANDSLIDE_COLOURS } from "./style";

const BOUNDS: [number, number, number, number] = [140.6, 40.7, 140.8, 40.85];

describe("the sketch's view", () => {
  it("fits the bounds inside the padding, centred", () => {
    const view = fitView(BOUNDS, 360, 350, 16, 0);
    const [left, top] = toScreen(view, BOUNDS[0], BOUNDS[3]);
    const [right, bottom] = toScreen(view, BOUNDS[2], BOUNDS[1]);
    expect(Math.min(left, top, 360 - right, 350 - bottom)).toBeCloseTo(16, 6);
    expect((left + right) / 2).toBeCloseTo(180, 6);
    expect((top + bottom) / 2).toBeCloseTo(175, 6);
  });

  it("does not zoom out below the minimum", () => {
    expect(fitView([128, 30, 146, 46], 360, 350, 16, 11).zoom).toBe(11);
  });

  it("covers the view with the tiles of the zoom below, each where its points land", () => {
    const view = fitView(BOUNDS, 360, 350, 16, 11);
    const tiles = tilesFor(view);
    expect(new Set(tiles.map((t) => t.z))).toEqual(new Set([Math.floor(view.zoom)]));
    // Every corner of the view lies on one of them.
    for (const [x, y] of [
      [0, 0],
      [359, 0],
      [0, 349],
      [359, 349],
    ] as const) {
      expect(tiles.filter((t) => x >= t.left && x < t.left + t.size && y >= t.top && y < t.top + t.size)).toHaveLength(
        1,
      );
    }
    // A point is drawn where its tile puts it: the tile holding it, at the same screen position.
    const [lon, lat] = [140.71, 40.79];
    const [fx, fy] = tileXY(lon, lat, tiles[0]?.z ?? 0);
    const tile = tiles.find((t) => t.x === Math.floor(fx) && t.y === Math.floor(fy));
    expect(tile).toBeDefined();
    const inTile: [number, number] = [Math.round((fx % 1) * 4096), Math.round((fy % 1) * 4096)];
    const layer = { name: "facilities", extent: 4096, features: [{ type: 1, properties: {}, parts: [[inTile]] }] };
    const placed = place(layer, tile ?? { z: 0, x: 0, y: 0, left: 0, top: 0, size: 0 })[0]?.parts[0]?.[0];
    const [sx, sy] = toScreen(view, lon, lat);
    expect(placed?.[0]).toBeCloseTo(sx, 0);
    expect(placed?.[1]).toBeCloseTo(sy, 0);
  });
});

describe("zone looks", () => {
  it("grade flood depth in the 手引き colours", () => {
    expect(zoneLook("flood", { depthMinM: 0 }).fill).toBe(DEPTH_BANDS[0].colour);
    expect(zoneLook("flood", { depthMinM: 0.5 }).fill).toBe(DEPTH_BANDS[1].colour);
    expect(zoneLook("flood", { depthMinM: 20 }).fill).toBe(DEPTH_BANDS[5].colour);
  });

  it("tell 特別警戒区域 from 警戒区域 by pattern and edge", () => {
    expect(zoneLook("landslide", { rankCode: "2" }).fill).toBe("pattern-landslide-special");
    expect(zoneLook("landslide", { rankLabel: "土砂災害警戒区域" }).fill).toBe("pattern-landslide-warning");
    expect(LANDSLIDE_COLOURS.special).not.toBe(LANDSLIDE_COLOURS.warning);
  });

  it("draw past inundation as a faint dashed record", () => {
    const look = zoneLook("flood_history", {});
    expect(look.opacity).toBeLessThan(0.2);
    expect(look.dash.length).toBeGreaterThan(0);
  });
});

describe("a tap", () => {
  const at = (id: string, x: number, y: number) => ({
    feature: { type: 1, properties: { id }, parts: [] },
    parts: [[[x, y] as [number, number]]],
  });

  it("opens the nearest symbol within reach, and nothing beyond", () => {
    const facilities = [at("a", 100, 100), at("b", 120, 100)];
    expect(facilityAt(facilities, 112, 101, 22)).toBe("b");
    expect(facilityAt(facilities, 300, 300, 22)).toBeNull();
  });
});
