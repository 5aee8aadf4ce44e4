import { describe, expect, it } from "vitest";
import { niceMax, points } from "./chart";

describe("the trend chart", () => {
  it("rounds the scale up to 1, 2 or 5 times a power of ten", () => {
    expect(niceMax(0)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(130)).toBe(200);
    expect(niceMax(480)).toBe(500);
    expect(niceMax(1000)).toBe(1000);
  });

  it("spreads the values over the width, zero at the bottom", () => {
    expect(points([0, 5, 10], 10, { width: 100, height: 50 })).toBe("0.0,50.0 50.0,25.0 100.0,0.0");
    expect(points([], 10, { width: 100, height: 50 })).toBe("");
  });
});
