// The sketch map: our own vector tiles drawn on a canvas with a few kilobytes of code, shown while
// MapLibre (about 350 KB) is still on its way on a weak signal. Same view, colours and symbols as
// the full map, which replaces it once drawn; no panning (that is the full map's job).
import type { ZoneType } from "../features/hazards/api";
import type { Bbox } from "../features/municipalities/api";
import type { Point, VectorFeature, VectorLayer } from "./mvt";
import { DEPTH_BANDS, HAZARD_COLOURS, isHistory, PATTERNS, type PatternId, TSUNAMI_BANDS } from "./style";

/** MapLibre's world: 512 px at zoom 0, so a view here is the full map's at the same zoom. */
const WORLD = 512;
const MAX_TILE_ZOOM = 16;
/** Both maps start at the municipalities' bounds, but close enough to see the facilities (their
 * tiles start at zoom 10) on a phone. */
export const MIN_START_ZOOM = 11;

export interface View {
  /** The centre in world pixels at zoom 0. */
  x: number;
  y: number;
  zoom: number;
  width: number;
  height: number;
}

export interface TilePlace {
  z: number;
  x: number;
  y: number;
  /** Where the tile's top-left corner lands on the screen, and its size there, in CSS pixels. */
  left: number;
  top: number;
  size: number;
}

export function project(lon: number, lat: number): [x: number, y: number] {
  const sin = Math.sin((lat * Math.PI) / 180);
  return [((lon + 180) / 360) * WORLD, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * WORLD];
}

/** The view that shows `bounds` with `padding` pixels around, as MapLibre's fitBounds does, not
 * zoomed out below `minZoom`. */
export function fitView(bounds: Bbox, width: number, height: number, padding: number, minZoom: number): View {
  const [west, north] = project(bounds[0], bounds[3]);
  const [east, south] = project(bounds[2], bounds[1]);
  const scale = Math.min(
    (width - 2 * padding) / Math.max(east - west, 1e-9),
    (height - 2 * padding) / Math.max(south - north, 1e-9),
  );
  const zoom = Math.max(minZoom, Math.min(22, Math.log2(scale)));
  return { x: (west + east) / 2, y: (north + south) / 2, zoom, width, height };
}

/** The tiles that cover the view, at the zoom MapLibre would ask for. */
export function tilesFor(view: View): TilePlace[] {
  const z = Math.max(0, Math.min(MAX_TILE_ZOOM, Math.floor(view.zoom)));
  const tiles = 2 ** z;
  const size = WORLD * 2 ** (view.zoom - z);
  const scale = 2 ** view.zoom;
  const left = view.x * scale - view.width / 2;
  const top = view.y * scale - view.height / 2;
  const places: TilePlace[] = [];
  for (
    let y = Math.max(0, Math.floor(top / size));
    y <= Math.min(tiles - 1, Math.floor((top + view.height) / size));
    y++
  ) {
    for (let x = Math.floor(left / size); x <= Math.floor((left + view.width) / size); x++) {
      places.push({ z, x: ((x % tiles) + tiles) % tiles, y, left: x * size - left, top: y * size - top, size });
    }
  }
  return places;
}

/** A point in degrees to CSS pixels of the view. */
export function toScreen(view: View, lon: number, lat: number): [x: number, y: number] {
  const [x, y] = project(lon, lat);
  const scale = 2 ** view.zoom;
  return [(x - view.x) * scale + view.width / 2, (y - view.y) * scale + view.height / 2];
}

export interface ZoneLook {
  fill: string | PatternId;
  opacity: number;
  stroke: string;
  width: number;
  dash: number[];
}

const band = (bands: readonly { min: number; colour: string }[], depth: number) =>
  bands.reduce((chosen, b) => (depth >= b.min ? b.colour : chosen), bands[0]?.colour ?? "#000");

/** A zone as the full map draws it (style.ts LOOKS), for one feature's properties. */
export function zoneLook(hazard: ZoneType, properties: Record<string, unknown>): ZoneLook {
  const depth = typeof properties.depthMinM === "number" ? properties.depthMinM : 0;
  const special = properties.rankCode === "2" || String(properties.rankLabel ?? "").includes("特別");
  const plain = (fill: string, opacity: number, stroke: string, width: number, dash: number[] = []) => ({
    fill,
    opacity,
    stroke,
    width,
    dash,
  });
  switch (hazard) {
    case "flood":
      return plain(band(DEPTH_BANDS, depth), 0.72, "#a15c5c", 0.75);
    case "inland_flood":
      return plain(band(DEPTH_BANDS, depth), 0.72, "#5d4037", 2, [4, 3]);
    case "tsunami":
      return plain(band(TSUNAMI_BANDS, depth), 0.6, "#0d2e6e", 1.25);
    case "storm_surge":
      return plain("pattern-storm_surge", 1, "#005662", 2);
    case "landslide":
      return special
        ? plain("pattern-landslide-special", 1, "#7f0000", 1.5)
        : plain("pattern-landslide-warning", 1, "#8a6d00", 1.5);
    case "volcano":
      return plain("pattern-volcano", 1, "#424242", 1.5);
    default:
      return isHistory(hazard)
        ? plain(HAZARD_COLOURS[hazard], 0.1, HAZARD_COLOURS[hazard], 2.5, [4, 2])
        : plain(HAZARD_COLOURS[hazard], 0.3, HAZARD_COLOURS[hazard], 1.5, [2, 2]);
  }
}

export const isPattern = (fill: string): fill is PatternId => fill in PATTERNS;

export interface Placed {
  feature: VectorFeature;
  /** The feature's parts in CSS pixels of the view. */
  parts: Point[][];
}

/** A tile layer's features placed on the screen. */
export function place(layer: VectorLayer | undefined, tile: TilePlace): Placed[] {
  if (!layer) return [];
  const k = tile.size / layer.extent;
  return layer.features.map((feature) => ({
    feature,
    parts: feature.parts.map((part) => part.map(([x, y]): Point => [tile.left + x * k, tile.top + y * k])),
  }));
}

/** The facility whose symbol is under a tap, within `reach` pixels. */
export function facilityAt(facilities: Placed[], x: number, y: number, reach: number): string | null {
  let best: string | null = null;
  let bestDistance = reach;
  for (const { feature, parts } of facilities) {
    const [px, py] = parts[0]?.[0] ?? [Number.NaN, Number.NaN];
    const distance = Math.hypot(px - x, py - y);
    const id = feature.properties.id;
    if (distance <= bestDistance && typeof id === "string") {
      best = id;
      bestDistance = distance;
    }
  }
  return best;
}
