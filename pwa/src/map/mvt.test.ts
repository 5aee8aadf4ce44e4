import { describe, expect, it } from "vitest";
import { decodeGeometry, decodeTile } from "./mvt";

// Made by another encoder (Python's mapbox-vector-tile 2.2, y axis down):
//   facilities: POINT(100 200) {id: "f-1", kind: "designated_shelter", capacity: 280}
//   hazards: POLYGON((0 0, 100 0, 100 100, 0 100, 0 0)) {hazardType: "flood", depthMinM: 0.5, special: true}
//   roads: LINESTRING(10 10, 20 30, -5 40) {class: "residential", offset: -3}
const TILE =
  "GloKCmZhY2lsaXRpZXMSERIGAAABAQICGAEiBQnIAZADGgJpZBoEa2luZBoIY2FwYWNpdHkiBQoDZi0xIhQKEmRlc2lnbmF0ZWRfc2hlbHRlciIDIJgCKIAgeAIaYgoHaGF6YXJkcxIaEgYAAAEBAgIYAyIOCQAAGsgBAADIAccBAA8aCmhhemFyZFR5cGUaCWRlcHRoTWluTRoHc3BlY2lhbCIHCgVmbG9vZCIJGQAAAAAAAOA/IgI4ASiAIHgCGksKBXJvYWRzEhISBAAAAQEYAiIICRQUEhQoMRQaBWNsYXNzGgZvZmZzZXQiDQoLcmVzaWRlbnRpYWwiCyD9//////////8BKIAgeAI=";
const bytes = Uint8Array.from(atob(TILE), (c) => c.charCodeAt(0));

describe("decodeTile", () => {
  const layers = decodeTile(bytes);

  it("reads every layer with its extent", () => {
    expect([...layers.keys()]).toEqual(["facilities", "hazards", "roads"]);
    expect(layers.get("roads")?.extent).toBe(4096);
  });

  it("reads points with their properties", () => {
    const [shelter] = layers.get("facilities")?.features ?? [];
    expect(shelter).toEqual({
      type: 1,
      properties: { id: "f-1", kind: "designated_shelter", capacity: 280 },
      parts: [[[100, 200]]],
    });
  });

  it("reads polygons as closed rings and doubles, booleans", () => {
    const [zone] = layers.get("hazards")?.features ?? [];
    expect(zone?.type).toBe(3);
    expect(zone?.properties).toEqual({ hazardType: "flood", depthMinM: 0.5, special: true });
    const ring = zone?.parts[0] ?? [];
    expect(ring).toHaveLength(5);
    expect(ring[0]).toEqual(ring[4]);
    expect(new Set(ring.map((p) => p.join(",")))).toEqual(new Set(["0,0", "100,0", "100,100", "0,100"]));
  });

  it("reads lines with negative steps and negative integers", () => {
    const [road] = layers.get("roads")?.features ?? [];
    expect(road?.type).toBe(2);
    expect(road?.parts).toEqual([
      [
        [10, 10],
        [20, 30],
        [-5, 40],
      ],
    ]);
    expect(road?.properties).toEqual({ class: "residential", offset: -3 });
  });
});

describe("decodeGeometry", () => {
  it("starts a part at every MoveTo", () => {
    // MoveTo(2) (1,1) (3,3): two points
    expect(decodeGeometry([(2 << 3) | 1, 2, 2, 4, 4])).toEqual([[[1, 1]], [[3, 3]]]);
  });
});
