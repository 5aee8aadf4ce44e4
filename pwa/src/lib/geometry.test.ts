import { describe, expect, it } from "vitest";
import { greatCircleM, insideRings, tileXY } from "./geometry";

const square = (x0: number, y0: number, size: number) => [
  { x: x0, y: y0 },
  { x: x0 + size, y: y0 },
  { x: x0 + size, y: y0 + size },
  { x: x0, y: y0 + size },
  { x: x0, y: y0 },
];

describe("geometry for offline answers", () => {
  it("finds the tile of a point as the server does", () => {
    const [x, y] = tileXY(140.76, 40.8, 16);
    expect([Math.floor(x), Math.floor(y)]).toEqual([58392, 24619]); // geo.tiling.tile_of(140.76, 40.8, 16);
  });

  it("tests points against rings with holes and separate parts", () => {
    const withHole = [square(0, 0, 100), square(40, 40, 20)];
    expect(insideRings(withHole, 10, 10)).toBe(true);
    expect(insideRings(withHole, 50, 50)).toBe(false); // in the hole
    const twoParts = [square(0, 0, 10), square(20, 0, 10)];
    expect(insideRings(twoParts, 25, 5)).toBe(true);
    expect(insideRings(twoParts, 15, 5)).toBe(false);
  });

  it("measures great-circle distance on PostGIS's sphere", () => {
    expect(greatCircleM(40.8, 140.76, 40.8, 140.76)).toBe(0);
    expect(greatCircleM(40.8, 140.76, 40.809, 140.76)).toBeCloseTo(1000.8, 0);
  });
});
