import { describe, expect, it } from "vitest";
import {
  type Coordinate,
  initialBearing,
  NoPathError,
  OffNetworkError,
  substring,
  WalkGraph,
  type WalkGraphDocument,
} from "./graph";

// The town of tests/server/roads/test_routes.py: columns and rows about 100 m apart.
//   row 4  +----+----+----+----+----+----+   北通り
//          |    A(1,2)    | steps        |
//          |   ~~~~~ river (no road) ~~~ |
//   row 0  +----+----+----+----+----+----+   本町通り
//         西通り              |         東通り
//                             B(4,-1.5)
const at = (col: number, row: number): Coordinate => [140.75 + col * 0.00119, 40.8 + row * 0.0009];
const get = <T>(array: ArrayLike<T>, i: number): T => array[i] as T;
const CLASSES = ["trunk", "primary", "secondary", "tertiary", "minor", "service", "path", "steps"];

/** A graph document as server/roads/graph.py writes it: ways split at every shared point. */
function town(): WalkGraphDocument {
  const ways: { points: [number, number][]; kind: string; name?: string }[] = [
    { points: [0, 1, 2, 3, 4, 5, 6].map((c) => [c, 0]), kind: "minor", name: "本町通り" },
    { points: [0, 1, 2, 3, 4, 5, 6].map((c) => [c, 4]), kind: "minor", name: "北通り" },
    { points: [0, 1, 2, 3, 4].map((r) => [0, r]), kind: "minor", name: "西通り" },
    { points: [0, 1, 2, 3, 4].map((r) => [6, r]), kind: "minor", name: "東通り" },
    { points: [0, 1, 2, 3, 4].map((r) => [3, r]), kind: "steps" },
    {
      points: [
        [1, 4],
        [1, 3],
        [1, 2],
      ],
      kind: "path",
    },
    {
      points: [
        [4, 0],
        [4, -1],
        [4, -1.5],
      ],
      kind: "service",
    },
  ];
  const junction = new Map<string, number>();
  const uses = new Map<string, number>();
  for (const way of ways) for (const p of way.points) uses.set(`${p}`, (uses.get(`${p}`) ?? 0) + 1);
  const nodeOf = (p: [number, number]) => {
    const key = `${p}`;
    if (!junction.has(key)) junction.set(key, junction.size);
    return junction.get(key) as number;
  };
  const scale = 1_000_000;
  const fixed = (p: [number, number]) => at(...p).map((v) => Math.round(v * scale)) as [number, number];
  const edges: number[] = [];
  const shapes: number[][] = [];
  const names: string[] = [];
  const lines: [number, number][][] = [];
  for (const way of ways) {
    let piece: [number, number][] = [get(way.points, 0)];
    way.points.slice(1).forEach((p, i) => {
      piece.push(p);
      const last = i === way.points.length - 2;
      if (last || (uses.get(`${p}`) ?? 0) > 1) {
        lines.push(piece);
        const [s, t] = [nodeOf(get(piece, 0)), nodeOf(p)];
        let length = 0;
        for (let k = 1; k < piece.length; k++) {
          const [a, b] = [at(...get(piece, k - 1)), at(...get(piece, k))];
          const rad = Math.PI / 180;
          const h =
            Math.sin(((b[1] - a[1]) * rad) / 2) ** 2 +
            Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(((b[0] - a[0]) * rad) / 2) ** 2;
          length += 2 * 6371008.8 * Math.asin(Math.sqrt(h));
        }
        let name = -1;
        if (way.name) {
          if (!names.includes(way.name)) names.push(way.name);
          name = names.indexOf(way.name);
        }
        const kind = CLASSES.indexOf(way.kind) + (way.kind === "steps" ? 16 : 0);
        edges.push(s, t, Math.round(length * 10), kind, name);
        const shape: number[] = [];
        let previous = fixed(get(piece, 0));
        for (const q of piece.slice(1, -1)) {
          const f = fixed(q);
          shape.push(f[0] - previous[0], f[1] - previous[1]);
          previous = f;
        }
        shapes.push(shape);
        piece = [p];
      }
    });
  }
  const nodes: number[] = [];
  let last: [number, number] = [0, 0];
  for (const key of junction.keys()) {
    const f = fixed(key.split(",").map(Number) as [number, number]);
    nodes.push(f[0] - last[0], f[1] - last[1]);
    last = f;
  }
  return {
    format: "bosai-walk-graph/1",
    municipality: "029998",
    scale,
    classes: CLASSES,
    names,
    nodes,
    edges,
    shapes,
    hazards: {},
  };
}

/** The edges lying inside a box of grid positions, as if a hazard zone covered it. */
function zone(document: WalkGraphDocument, hazard: string, from: [number, number], to: [number, number]) {
  const graph = new WalkGraph(document);
  const [w, s] = at(...from);
  const [e, n] = at(...to);
  const flat: number[] = [];
  for (let edge = 0; edge < graph.edgeCount; edge++) {
    // Samples along the (straight) edge: the share inside the box.
    const line = get(graph.lines, edge);
    const [x0, y0, x1, y1] = [get(line, 0), get(line, 1), get(line, line.length - 2), get(line, line.length - 1)];
    let inside = 0;
    for (let k = 0; k <= 20; k++) {
      const x = x0 + ((x1 - x0) * k) / 20;
      const y = y0 + ((y1 - y0) * k) / 20;
      if (x > w && x < e && y > s && y < n) inside += 1 / 21;
    }
    if (inside > 0) flat.push(edge, Math.round(inside * get(graph.length, edge) * 10));
  }
  return { ...document, hazards: { ...document.hazards, [hazard]: flat } };
}

const adult = { profile: "adult" as const, hazard: null, night: false };

describe("routes on the device", () => {
  it("walks along the street with the length, time and steps the server gives", () => {
    const graph = new WalkGraph(town());
    const route = graph.route(at(0, 0), [at(6, 0)], adult);
    expect(route.lengthM).toBeCloseTo(600, -1);
    expect(route.minutes).toBeCloseTo(route.lengthM / 60, 1);
    expect(route.steps.map((s) => s.maneuver)).toEqual(["depart", "arrive"]);
    expect(get(route.steps, 0).name).toBe("本町通り");
    const night = graph.route(at(0, 0), [at(6, 0)], { profile: "elderly", hazard: null, night: true });
    expect(night.minutes).toBeCloseTo(route.lengthM / (0.5 * 0.8) / 60, 1);
  });

  it("names turns left and right, and starts from a point off the street", () => {
    const graph = new WalkGraph(town());
    const route = graph.route(at(0, 2), [at(6, 2)], adult);
    expect(route.lengthM).toBeCloseTo(1000, -1);
    expect(route.steps[0]).toMatchObject({ maneuver: "depart", name: "西通り" });
    const turns = route.steps.slice(1, -1).map((s) => s.maneuver);
    expect([
      ["right", "right"],
      ["left", "left"],
    ]).toContainEqual(turns);
    // 30 m beside the street: the walk starts with the way onto it.
    const [lon, lat] = at(2.5, 0);
    const off = graph.route([lon, lat - 0.00027], [at(6, 0)], adult);
    expect(off.lengthM).toBeCloseTo(30 + 350, -1);
  });

  it("keeps a wheelchair off the steps", () => {
    const graph = new WalkGraph(town());
    const walker = graph.route(at(3, 0), [at(3, 4)], adult);
    expect(walker.lengthM).toBeCloseTo(400, -1);
    expect(walker.steps.some((s) => s.name === "階段")).toBe(true);
    const wheelchair = graph.route(at(3, 0), [at(3, 4)], { profile: "wheelchair", hazard: null, night: false });
    expect(wheelchair.lengthM).toBeCloseTo(1000, -1);
    expect(wheelchair.steps.every((s) => s.name !== "階段")).toBe(true);
  });

  it("goes round a hazard's zone, and through the least of it when it must", () => {
    const flooded = zone(town(), "flood", [2.5, -0.5], [3.5, 0.5]);
    const graph = new WalkGraph(flooded);
    expect(graph.route(at(0, 0), [at(6, 0)], adult).lengthM).toBeCloseTo(600, -1);
    const round = graph.route(at(0, 0), [at(6, 0)], { ...adult, hazard: "flood" });
    expect(round.lengthM).toBeCloseTo(1400, -1);
    expect(round).toMatchObject({ insideZoneM: 0, avoidsZone: true, leastExposed: false });
    expect(graph.route(at(0, 0), [at(6, 0)], { ...adult, hazard: "tsunami" }).lengthM).toBeCloseTo(600, -1);
    // A band across the whole town: the least exposed way, with the metres inside.
    const band = new WalkGraph(zone(town(), "flood", [-1, 1.5], [7, 2.5]));
    const through = band.route(at(0, 0), [at(0, 4)], { ...adult, hazard: "flood" });
    expect(through.leastExposed).toBe(true);
    expect(through.avoidsZone).toBe(false);
    expect(through.lengthM).toBeCloseTo(400, -1);
    expect(through.insideZoneM).toBeGreaterThan(90);
  });

  it("chooses the nearest destination on foot, not in a straight line", () => {
    const graph = new WalkGraph(town());
    const route = graph.route(at(1, 0), [at(1, 2), at(4, -1.5)], adult);
    expect(route.destination).toBe(1);
    expect(route.lengthM).toBeCloseTo(450, -1);
    expect(graph.route(at(1, 0), [at(1, 2)], adult).lengthM).toBeCloseTo(800, -1);
  });

  it("refuses points off the network and places it cannot join", () => {
    const graph = new WalkGraph(town());
    expect(() => graph.route([135, 35], [at(6, 0)], adult)).toThrow(OffNetworkError);
    expect(() => graph.route(at(0, 0), [[135, 35]], adult)).toThrow(OffNetworkError);
    const here = graph.route(at(2, 0), [at(2, 0)], adult);
    expect(here.lengthM).toBe(0);
    expect(here.steps.map((s) => s.maneuver)).toEqual(["arrive"]);
    const apart = town();
    // A street of its own far away (not joined to the town).
    apart.nodes.push(10_000, 10_000, 1000, 0);
    const n = apart.nodes.length / 2;
    apart.edges.push(n - 2, n - 1, 840, 4, -1);
    apart.shapes.push([]);
    const graphApart = new WalkGraph(apart);
    const lastLine = get(graphApart.lines, graphApart.edgeCount - 1);
    expect(() => graphApart.route(at(0, 0), [[get(lastLine, 0), get(lastLine, 1)]], adult)).toThrow(NoPathError);
  });

  it("cuts lines and finds bearings", () => {
    const line = new Float64Array([0, 0, 1, 0, 1, 1]);
    expect(substring(line, 0.25, 0.75)).toEqual([
      [0.5, 0],
      [1, 0],
      [1, 0.5],
    ]);
    expect(substring(line, 0.75, 0.25)).toEqual([
      [1, 0.5],
      [1, 0],
      [0.5, 0],
    ]);
    expect(initialBearing([140, 40], [140, 41])).toBeCloseTo(0, 5);
    expect(initialBearing([140, 40], [141, 40])).toBeCloseTo(90, 0);
  });
});
