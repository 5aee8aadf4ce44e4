// Walking routes on the device, on the graph an offline pack carries (server/roads/graph.py): the
// same snapping, costs, profiles and hazard avoidance as the server's pgRouting query
// (server/roads/routing.py), so that offline the length is the server's within 1 %.
import { greatCircleM } from "../../lib/geometry";

export interface WalkGraphDocument {
  format: string;
  municipality: string;
  scale: number;
  classes: string[];
  names: string[];
  nodes: number[];
  edges: number[];
  shapes: number[][];
  hazards: Record<string, number[]>;
}

export type Profile = "adult" | "elderly" | "wheelchair";

/** Speeds in m/s (宮城県津波対策ガイドライン; 消防庁 津波対策推進マニュアル), as the server's. */
export const PROFILES: Record<Profile, number> = { adult: 1.0, elderly: 0.5, wheelchair: 0.5 };
export const NIGHT_FACTOR = 0.8;
/** How far a point may be from the network and still be routed (as the server). */
export const SNAP_MAX_M = 500;
/** In the least-exposed search, a metre inside a zone costs this many metres outside. */
export const EXPOSURE_WEIGHT = 1000;
export const STEPS_FLAG = 16;
const CELL = 0.002; // degrees: about 200 m

export const UNNAMED: Record<string, string> = {
  trunk: "幹線道路",
  primary: "幹線道路",
  secondary: "道路",
  tertiary: "道路",
  minor: "道",
  service: "路地",
  path: "歩道",
  steps: "階段",
};

export type Coordinate = [number, number]; // lon, lat

export interface RouteOptions {
  profile: Profile;
  hazard: string | null;
  night: boolean;
}

export interface RouteStep {
  maneuver: string;
  /** The street walked after the turn: its name, or the kind of way (a key of UNNAMED's values). */
  name: string;
  distanceM: number;
  location: Coordinate;
}

export interface DeviceRoute {
  coordinates: Coordinate[];
  lengthM: number;
  minutes: number;
  profile: Profile;
  night: boolean;
  hazard: string | null;
  insideZoneM: number;
  avoidsZone: boolean;
  leastExposed: boolean;
  steps: RouteStep[];
  /** Index of the destination chosen among those asked for. */
  destination: number;
}

/** An element known to be there: the indices here come from the graph itself, and checking each
 * (as noUncheckedIndexedAccess asks) would only slow the search. */
function at<T>(array: ArrayLike<T>, i: number): T {
  return array[i] as T;
}

export class OffNetworkError extends Error {
  constructor(readonly field: "from" | "to") {
    super(`${field}: no walkable road within ${SNAP_MAX_M} m`);
  }
}
export class NoPathError extends Error {}

interface Snap {
  point: Coordinate;
  edge: number;
  fraction: number;
  distance: number;
  lon: number;
  lat: number;
}

export class WalkGraph {
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly source: Int32Array;
  readonly target: Int32Array;
  readonly length: Float64Array;
  readonly kind: Int32Array;
  readonly name: Int32Array;
  /** Each edge's line, source to target: lon, lat, lon, lat, … */
  readonly lines: Float64Array[];
  readonly classes: string[];
  readonly names: string[];
  /** Metres inside the zones of each hazard type, by edge. */
  readonly inside: Map<string, Map<number, number>>;
  private readonly firstEdge: Int32Array;
  private readonly adjacent: Int32Array;
  private readonly grid = new Map<string, number[]>();

  constructor(document: WalkGraphDocument) {
    const { scale } = document;
    const nodeCount = document.nodes.length / 2;
    this.lon = new Float64Array(nodeCount);
    this.lat = new Float64Array(nodeCount);
    let x = 0;
    let y = 0;
    for (let i = 0; i < nodeCount; i++) {
      x += at(document.nodes, 2 * i);
      y += at(document.nodes, 2 * i + 1);
      this.lon[i] = x / scale;
      this.lat[i] = y / scale;
    }
    const edgeCount = document.edges.length / 5;
    this.source = new Int32Array(edgeCount);
    this.target = new Int32Array(edgeCount);
    this.length = new Float64Array(edgeCount);
    this.kind = new Int32Array(edgeCount);
    this.name = new Int32Array(edgeCount);
    this.lines = [];
    const degree = new Int32Array(nodeCount + 1);
    for (let e = 0; e < edgeCount; e++) {
      const [s, t, dm, kind, name] = [0, 1, 2, 3, 4].map((k) => at(document.edges, 5 * e + k)) as [
        number,
        number,
        number,
        number,
        number,
      ];
      this.source[e] = s;
      this.target[e] = t;
      this.length[e] = dm / 10;
      this.kind[e] = kind;
      this.name[e] = name;
      const shape = document.shapes[e] ?? [];
      const line = new Float64Array(shape.length + 4);
      line[0] = at(this.lon, s);
      line[1] = at(this.lat, s);
      let px = Math.round(at(this.lon, s) * scale);
      let py = Math.round(at(this.lat, s) * scale);
      for (let i = 0; i < shape.length; i += 2) {
        px += at(shape, i);
        py += at(shape, i + 1);
        line[i + 2] = px / scale;
        line[i + 3] = py / scale;
      }
      line[shape.length + 2] = at(this.lon, t);
      line[shape.length + 3] = at(this.lat, t);
      this.lines.push(line);
      degree[s + 1] = at(degree, s + 1) + 1;
      if (t !== s) degree[t + 1] = at(degree, t + 1) + 1;
      this.index(e, line);
    }
    // Edges by node (compressed rows): walkers go both ways along every edge.
    for (let i = 0; i < nodeCount; i++) degree[i + 1] = at(degree, i + 1) + at(degree, i);
    this.firstEdge = degree.slice();
    this.adjacent = new Int32Array(at(degree, nodeCount));
    const fill = degree.slice();
    for (let e = 0; e < edgeCount; e++) {
      for (const node of at(this.target, e) === at(this.source, e)
        ? [at(this.source, e)]
        : [at(this.source, e), at(this.target, e)]) {
        const slot = at(fill, node);
        this.adjacent[slot] = e;
        fill[node] = slot + 1;
      }
    }
    this.classes = document.classes;
    this.names = document.names;
    this.inside = new Map();
    for (const [hazard, flat] of Object.entries(document.hazards)) {
      const byEdge = new Map<number, number>();
      for (let i = 0; i < flat.length; i += 2) byEdge.set(at(flat, i), at(flat, i + 1) / 10);
      this.inside.set(hazard, byEdge);
    }
  }

  get edgeCount(): number {
    return this.source.length;
  }

  isSteps(edge: number): boolean {
    return (at(this.kind, edge) & STEPS_FLAG) !== 0;
  }

  label(edge: number): string {
    const name = at(this.name, edge);
    if (name >= 0) return at(this.names, name);
    return UNNAMED[at(this.classes, at(this.kind, edge) & (STEPS_FLAG - 1))] ?? "道";
  }

  private index(edge: number, line: Float64Array): void {
    let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let i = 0; i < line.length; i += 2) {
      w = Math.min(w, at(line, i));
      e = Math.max(e, at(line, i));
      s = Math.min(s, at(line, i + 1));
      n = Math.max(n, at(line, i + 1));
    }
    for (let cx = Math.floor(w / CELL); cx <= Math.floor(e / CELL); cx++) {
      for (let cy = Math.floor(s / CELL); cy <= Math.floor(n / CELL); cy++) {
        const key = `${cx}:${cy}`;
        const list = this.grid.get(key);
        if (list) list.push(edge);
        else this.grid.set(key, [edge]);
      }
    }
  }

  /** The nearest point of the network (without steps for a wheelchair), as the server snaps. */
  snap(point: Coordinate, stepsAllowed: boolean): Snap | null {
    const [lon, lat] = point;
    const cos = Math.cos((lat * Math.PI) / 180);
    const reach = Math.ceil(SNAP_MAX_M / (CELL * 111_000 * Math.max(cos, 0.01))) + 1;
    const cx = Math.floor(lon / CELL);
    const cy = Math.floor(lat / CELL);
    const seen = new Set<number>();
    let best: Snap | null = null;
    for (let dx = -reach; dx <= reach; dx++) {
      for (let dy = -reach; dy <= reach; dy++) {
        for (const edge of this.grid.get(`${cx + dx}:${cy + dy}`) ?? []) {
          if (seen.has(edge) || (!stepsAllowed && this.isSteps(edge))) continue;
          seen.add(edge);
          const found = locate(at(this.lines, edge), lon, lat);
          const distance = greatCircleM(lat, lon, found.lat, found.lon);
          if (
            best === null ||
            distance < best.distance - 1e-9 ||
            (distance <= best.distance + 1e-9 && edge < best.edge)
          ) {
            best = { point, edge, fraction: found.fraction, distance, lon: found.lon, lat: found.lat };
          }
        }
      }
    }
    return best !== null && best.distance <= SNAP_MAX_M ? best : null;
  }

  /** Metres from the snapped point to each end of its edge. */
  private offsets(snap: Snap): [number, number][] {
    const { edge, fraction } = snap;
    const toSource = fraction * at(this.length, edge);
    const toTarget = (1 - fraction) * at(this.length, edge);
    if (at(this.source, edge) === at(this.target, edge)) return [[at(this.source, edge), Math.min(toSource, toTarget)]];
    return [
      [at(this.source, edge), toSource],
      [at(this.target, edge), toTarget],
    ];
  }

  /** The route from `origin` to the cheapest reachable of `destinations`. */
  route(origin: Coordinate, destinations: Coordinate[], options: RouteOptions): DeviceRoute {
    const stepsAllowed = options.profile !== "wheelchair";
    const start = this.snap(origin, stepsAllowed);
    if (start === null) throw new OffNetworkError("from");
    const ends: (Snap | null)[] = destinations.map((d) => this.snap(d, stepsAllowed));
    if (destinations.length === 1 && ends[0] === null) throw new OffNetworkError("to");
    let leastExposed = false;
    let plan = this.plan(start, ends, options, false);
    if (plan === null && options.hazard !== null) {
      leastExposed = true;
      plan = this.plan(start, ends, options, true);
    }
    if (plan === null) throw new NoPathError("no walkable route joins the two points");
    const end = ends[plan.destination] as Snap;
    const legs = this.legs(start, end, plan, options.hazard);
    const coordinates: Coordinate[] = [];
    for (const leg of legs) {
      for (const p of leg.coordinates) {
        const last = coordinates.at(-1);
        if (!last || last[0] !== p[0] || last[1] !== p[1]) coordinates.push(p);
      }
    }
    if (coordinates.length < 2) coordinates.push(coordinates[0] ?? origin);
    const lengthM = lineLength(coordinates);
    const inside = options.hazard === null ? 0 : legs.reduce((sum, leg) => sum + leg.inside, 0);
    const speed = PROFILES[options.profile] * (options.night ? NIGHT_FACTOR : 1);
    return {
      coordinates,
      lengthM: Math.round(lengthM * 10) / 10,
      minutes: Math.round((lengthM / speed / 60) * 10) / 10,
      profile: options.profile,
      night: options.night,
      hazard: options.hazard,
      insideZoneM: Math.round(inside * 10) / 10,
      avoidsZone: inside <= 0.5,
      leastExposed,
      steps: stepsOf(legs),
      destination: plan.destination,
    };
  }

  private cost(edge: number, options: RouteOptions, leastExposed: boolean): number {
    if (options.profile === "wheelchair" && this.isSteps(edge)) return -1;
    if (options.hazard !== null) {
      const inside = this.inside.get(options.hazard)?.get(edge);
      if (inside !== undefined) return leastExposed ? at(this.length, edge) + EXPOSURE_WEIGHT * inside : -1;
    }
    return at(this.length, edge);
  }

  private plan(start: Snap, ends: (Snap | null)[], options: RouteOptions, leastExposed: boolean): Plan | null {
    const n = this.lon.length;
    const dist = new Float64Array(n).fill(Infinity);
    const via = new Int32Array(n).fill(-1); // the edge each node is reached by
    const heap = new Heap();
    for (const [node, offset] of this.offsets(start)) {
      if (offset < at(dist, node)) {
        dist[node] = offset;
        heap.push(node, offset);
      }
    }
    const targets = new Set<number>();
    for (const end of ends) if (end) for (const [node] of this.offsets(end)) targets.add(node);
    let left = targets.size;
    const done = new Uint8Array(n);
    while (heap.size > 0 && left > 0) {
      const [node, d] = heap.pop();
      if (at(done, node) || d > at(dist, node)) continue;
      done[node] = 1;
      if (targets.has(node)) left--;
      for (let i = at(this.firstEdge, node); i < at(this.firstEdge, node + 1); i++) {
        const edge = at(this.adjacent, i);
        const cost = this.cost(edge, options, leastExposed);
        if (cost < 0) continue;
        const other = at(this.source, edge) === node ? at(this.target, edge) : at(this.source, edge);
        const next = d + cost;
        if (next < at(dist, other)) {
          dist[other] = next;
          via[other] = edge;
          heap.push(other, next);
        }
      }
    }
    let best: Plan | null = null;
    ends.forEach((end, destination) => {
      if (!end) return;
      if (end.edge === start.edge) {
        const cost = Math.abs(end.fraction - start.fraction) * at(this.length, start.edge);
        if (best === null || cost < best.cost) best = { cost, destination, direct: true, last: -1, via };
      }
      for (const [node, offset] of this.offsets(end)) {
        const cost = at(dist, node) + offset;
        if (Number.isFinite(cost) && (best === null || cost < best.cost - 1e-9)) {
          best = { cost, destination, direct: false, last: node, via };
        }
      }
    });
    return best;
  }

  private legs(start: Snap, end: Snap, plan: Plan, hazard: string | null): Leg[] {
    const exposure = hazard === null ? undefined : this.inside.get(hazard);
    const legs: Leg[] = [
      { coordinates: [start.point, [start.lon, start.lat]], label: this.label(start.edge), edge: -1, inside: 0 },
    ];
    const piece = (edge: number, from: number, to: number): Leg => ({
      coordinates: substring(at(this.lines, edge), from, to),
      label: this.label(edge),
      edge,
      inside: Math.abs(to - from) * (exposure?.get(edge) ?? 0),
    });
    if (plan.direct) {
      legs.push(piece(start.edge, start.fraction, end.fraction));
    } else {
      // Back from the last node to where the walk left the start edge.
      const path: { edge: number; from: number }[] = [];
      let node = plan.last;
      while (at(plan.via, node) !== -1) {
        const edge = at(plan.via, node);
        const from = at(this.source, edge) === node ? at(this.target, edge) : at(this.source, edge);
        path.push({ edge, from });
        node = from;
      }
      path.reverse();
      const first = node;
      legs.push(piece(start.edge, start.fraction, first === at(this.source, start.edge) ? 0 : 1));
      for (const { edge, from } of path) {
        legs.push(from === at(this.source, edge) ? piece(edge, 0, 1) : piece(edge, 1, 0));
      }
      legs.push(piece(end.edge, plan.last === at(this.source, end.edge) ? 0 : 1, end.fraction));
    }
    legs.push({ coordinates: [[end.lon, end.lat], end.point], label: this.label(end.edge), edge: -1, inside: 0 });
    const kept = legs.filter((leg) => leg.coordinates.length > 1);
    return kept.length > 0
      ? kept
      : [{ coordinates: [start.point, start.point], label: this.label(start.edge), edge: -1, inside: 0 }];
  }
}

interface Plan {
  cost: number;
  destination: number;
  direct: boolean;
  last: number;
  via: Int32Array;
}

interface Leg {
  coordinates: Coordinate[];
  label: string;
  edge: number;
  inside: number;
}

/** A binary min-heap of (node, cost). */
class Heap {
  private nodes: number[] = [];
  private costs: number[] = [];
  get size(): number {
    return this.nodes.length;
  }
  push(node: number, cost: number): void {
    const { nodes, costs } = this;
    let i = nodes.length;
    nodes.push(node);
    costs.push(cost);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (at(costs, parent) <= cost) break;
      nodes[i] = at(nodes, parent);
      costs[i] = at(costs, parent);
      i = parent;
    }
    nodes[i] = node;
    costs[i] = cost;
  }
  pop(): [number, number] {
    const { nodes, costs } = this;
    const top: [number, number] = [at(nodes, 0), at(costs, 0)];
    const node = nodes.pop() as number;
    const cost = costs.pop() as number;
    const n = nodes.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && at(costs, child + 1) < at(costs, child)) child++;
        if (at(costs, child) >= cost) break;
        nodes[i] = at(nodes, child);
        costs[i] = at(costs, child);
        i = child;
      }
      nodes[i] = node;
      costs[i] = cost;
    }
    return top;
  }
}

/** The point of a line nearest to (lon, lat) in plain degrees, as PostGIS's ST_LineLocatePoint,
 * and its fraction of the line's (degree) length. */
export function locate(line: Float64Array, lon: number, lat: number): { fraction: number; lon: number; lat: number } {
  let total = 0;
  let bestAt = 0;
  let best = Infinity;
  let bestPoint: Coordinate = [at(line, 0), at(line, 1)];
  for (let i = 0; i + 3 < line.length; i += 2) {
    const [ax, ay, bx, by] = [at(line, i), at(line, i + 1), at(line, i + 2), at(line, i + 3)];
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const r = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((lon - ax) * dx + (lat - ay) * dy) / len2));
    const px = ax + r * dx;
    const py = ay + r * dy;
    const d = (lon - px) ** 2 + (lat - py) ** 2;
    const segment = Math.sqrt(len2);
    if (d < best) {
      best = d;
      bestAt = total + r * segment;
      bestPoint = [px, py];
    }
    total += segment;
  }
  return { fraction: total === 0 ? 0 : bestAt / total, lon: bestPoint[0], lat: bestPoint[1] };
}

/** The part of a line between two fractions of its (degree) length, in the order asked for. */
export function substring(line: Float64Array, from: number, to: number): Coordinate[] {
  if (Math.abs(from - to) < 1e-12) return [];
  const forward = from < to;
  const [lo, hi] = forward ? [from, to] : [to, from];
  const cumulative = [0];
  for (let i = 0; i + 3 < line.length; i += 2) {
    cumulative.push(
      (cumulative.at(-1) as number) + Math.hypot(at(line, i + 2) - at(line, i), at(line, i + 3) - at(line, i + 1)),
    );
  }
  const total = cumulative.at(-1) as number;
  const pointAt = (f: number): Coordinate => {
    const d = f * total;
    for (let k = 1; k < cumulative.length; k++) {
      if (d <= at(cumulative, k) || k === cumulative.length - 1) {
        const span = at(cumulative, k) - at(cumulative, k - 1);
        const r = span === 0 ? 0 : (d - at(cumulative, k - 1)) / span;
        const i = 2 * (k - 1);
        return [
          at(line, i) + r * (at(line, i + 2) - at(line, i)),
          at(line, i + 1) + r * (at(line, i + 3) - at(line, i + 1)),
        ];
      }
    }
    return [at(line, 0), at(line, 1)];
  };
  const points: Coordinate[] = [pointAt(lo)];
  for (let k = 1; k < cumulative.length - 1; k++) {
    if (at(cumulative, k) > lo * total && at(cumulative, k) < hi * total)
      points.push([at(line, 2 * k), at(line, 2 * k + 1)]);
  }
  points.push(pointAt(hi));
  return forward ? points : points.reverse();
}

export function lineLength(coordinates: Coordinate[]): number {
  let sum = 0;
  for (let i = 1; i < coordinates.length; i++) {
    const [a, b] = [at(coordinates, i - 1), at(coordinates, i)];
    sum += greatCircleM(a[1], a[0], b[1], b[0]);
  }
  return sum;
}

function bearing(a: Coordinate, b: Coordinate): number {
  const dx = (b[0] - a[0]) * Math.cos((((a[1] + b[1]) / 2) * Math.PI) / 180);
  const dy = b[1] - a[1];
  return ((((Math.atan2(dx, dy) * 180) / Math.PI) % 360) + 360) % 360;
}

/** The initial bearing from a to b in degrees clockwise from north (for the compass arrow). */
export function initialBearing(from: Coordinate, to: Coordinate): number {
  const rad = Math.PI / 180;
  const [l1, p1, l2, p2] = [from[0] * rad, from[1] * rad, to[0] * rad, to[1] * rad];
  const y = Math.sin(l2 - l1) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(l2 - l1);
  return (((Math.atan2(y, x) / rad) % 360) + 360) % 360;
}

export function maneuver(angle: number): string {
  const size = Math.abs(angle);
  if (size < 20) return "straight";
  if (size > 170) return "uturn";
  const side = angle > 0 ? "Right" : "Left";
  if (size < 60) return `slight${side}`;
  if (size < 135) return side.toLowerCase();
  return `sharp${side}`;
}

/** Turn-by-turn steps, as the server makes them: one per street walked. */
export function stepsOf(legs: { coordinates: Coordinate[]; label: string }[]): RouteStep[] {
  const pieces = legs
    .map((leg) => ({
      label: leg.label,
      coordinates: leg.coordinates.filter(
        (p, i) => i === 0 || p[0] !== at(leg.coordinates, i - 1)[0] || p[1] !== at(leg.coordinates, i - 1)[1],
      ),
    }))
    .filter((piece) => piece.coordinates.length > 1);
  const steps: RouteStep[] = [];
  let lastBearing = 0;
  for (const { coordinates, label } of pieces) {
    const bearingIn = bearing(at(coordinates, 0), at(coordinates, 1));
    const length = lineLength(coordinates);
    if (steps.length > 0) {
      const angle = ((bearingIn - lastBearing + 540) % 360) - 180;
      const turn = maneuver(angle);
      const previous = at(steps, steps.length - 1);
      if (label === previous.name && Math.abs(angle) < 60) {
        previous.distanceM = Math.round((previous.distanceM + length) * 10) / 10;
      } else {
        steps.push({
          maneuver: turn,
          name: label,
          distanceM: Math.round(length * 10) / 10,
          location: at(coordinates, 0),
        });
      }
    } else {
      steps.push({
        maneuver: "depart",
        name: label,
        distanceM: Math.round(length * 10) / 10,
        location: at(coordinates, 0),
      });
    }
    lastBearing = bearing(at(coordinates, coordinates.length - 2), at(coordinates, coordinates.length - 1));
  }
  const end = pieces.at(-1)?.coordinates.at(-1) ?? legs.at(-1)?.coordinates.at(-1) ?? [0, 0];
  steps.push({ maneuver: "arrive", name: "", distanceM: 0, location: end });
  return steps;
}
