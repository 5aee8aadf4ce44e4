// One symbol per facility kind: a distinct shape AND colour (colour is never the only cue), white
// outline for contrast on any background. Drawn on a canvas, so no sprite server is needed.
import type { Map as MapLibreMap } from "maplibre-gl";
import { FACILITY_KINDS, type FacilityKind } from "../features/facilities/api";
import { PATTERNS, type PatternId } from "./style";

type Draw = (c: CanvasRenderingContext2D) => void;

const polygon =
  (...points: [number, number][]): Draw =>
  (c) => {
    c.beginPath();
    for (const [x, y] of points) c.lineTo(x, y);
    c.closePath();
  };

const SHAPES: Record<FacilityKind, { colour: string; draw: Draw }> = {
  // house
  designated_shelter: {
    colour: "#1b5e20",
    draw: polygon([0.5, 0.08], [0.92, 0.45], [0.8, 0.45], [0.8, 0.92], [0.2, 0.92], [0.2, 0.45], [0.08, 0.45]),
  },
  // house with a cut-out heart door is too fine at this size: a house with a flat roof band
  welfare_shelter: {
    colour: "#6a1b9a",
    draw: polygon([0.5, 0.08], [0.92, 0.4], [0.92, 0.92], [0.08, 0.92], [0.08, 0.4]),
  },
  // triangle (a gathering place)
  emergency_site: { colour: "#0d47a1", draw: polygon([0.5, 0.06], [0.95, 0.9], [0.05, 0.9]) },
  // tall building
  tsunami_building: { colour: "#00695c", draw: polygon([0.25, 0.05], [0.75, 0.05], [0.75, 0.95], [0.25, 0.95]) },
  // diamond
  wide_area_site: { colour: "#bf360c", draw: polygon([0.5, 0.04], [0.96, 0.5], [0.5, 0.96], [0.04, 0.5]) },
  // plus
  medical: {
    colour: "#b71c1c",
    draw: polygon(
      [0.36, 0.06],
      [0.64, 0.06],
      [0.64, 0.36],
      [0.94, 0.36],
      [0.94, 0.64],
      [0.64, 0.64],
      [0.64, 0.94],
      [0.36, 0.94],
      [0.36, 0.64],
      [0.06, 0.64],
      [0.06, 0.36],
      [0.36, 0.36],
    ),
  },
  // circle (a care facility: people there need help to leave)
  care_facility: {
    colour: "#ef6c00",
    draw: (c) => {
      c.beginPath();
      c.arc(0.5, 0.5, 0.42, 0, 2 * Math.PI);
      c.closePath();
    },
  },
  // pentagon with a flat base (a public hall, office, gym)
  public_facility: {
    colour: "#455a64",
    draw: polygon([0.5, 0.06], [0.94, 0.38], [0.8, 0.94], [0.2, 0.94], [0.06, 0.38]),
  },
  // heart
  aed: {
    colour: "#ad1457",
    draw: (c) => {
      c.beginPath();
      c.moveTo(0.5, 0.9);
      c.bezierCurveTo(0.1, 0.62, 0.02, 0.4, 0.12, 0.24);
      c.bezierCurveTo(0.24, 0.06, 0.44, 0.1, 0.5, 0.28);
      c.bezierCurveTo(0.56, 0.1, 0.76, 0.06, 0.88, 0.24);
      c.bezierCurveTo(0.98, 0.4, 0.9, 0.62, 0.5, 0.9);
      c.closePath();
    },
  },
};

export const SYMBOL_COLOURS: Record<FacilityKind, string> = Object.fromEntries(
  Object.entries(SHAPES).map(([kind, shape]) => [kind, shape.colour]),
) as Record<FacilityKind, string>;

function square(pixels: number): [HTMLCanvasElement, CanvasRenderingContext2D | null] {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = pixels;
  return [canvas, canvas.getContext("2d")];
}

/** The kind's symbol on a square canvas of `pixels`. */
export function drawSymbol(kind: FacilityKind, pixels: number): HTMLCanvasElement {
  const [canvas, c] = square(pixels);
  if (c === null) return canvas;
  const shape = SHAPES[kind];
  c.scale(pixels, pixels);
  shape.draw(c);
  c.lineJoin = "round";
  c.lineWidth = 0.16;
  c.strokeStyle = "#ffffff";
  c.stroke();
  c.fillStyle = shape.colour;
  c.fill();
  return canvas;
}

export const symbolId = (kind: FacilityKind) => `kind-${kind}`;

// A shelter's live status as a badge beside its symbol: a shape AND a mark per status (a circle
// with a tick, a triangle with "!", a square with "×", a circle with a bar), never colour alone.
// Paths in a 24×24 box, shared by the map's canvas and the lists' inline SVG.
const CIRCLE = "M1 12a11 11 0 1 0 22 0a11 11 0 1 0 -22 0Z";
export const STATUS_BADGES = {
  open: { colour: "#1b5e20", shape: CIRCLE, mark: "M6.5 12.5l3.5 3.5 7.5-8" },
  crowded: { colour: "#a14800", shape: "M12 1.5L23 22H1Z", mark: "M12 8.5v6.5M12 18.2v0.6" },
  full: { colour: "#b71c1c", shape: "M2 2H22V22H2Z", mark: "M7.5 7.5l9 9M16.5 7.5l-9 9" },
  closed: { colour: "#455a64", shape: CIRCLE, mark: "M6 12H18" },
} as const;
export type BadgeStatus = keyof typeof STATUS_BADGES;
export const BADGE_STATUSES = Object.keys(STATUS_BADGES) as BadgeStatus[];

/** The status badge on a square canvas of `pixels`. */
export function drawStatusBadge(status: BadgeStatus, pixels: number): HTMLCanvasElement {
  const [canvas, c] = square(pixels);
  if (c === null) return canvas;
  const badge = STATUS_BADGES[status];
  c.scale(pixels / 26, pixels / 26);
  c.translate(1, 1);
  const shape = new Path2D(badge.shape);
  c.lineJoin = "round";
  c.lineCap = "round";
  c.lineWidth = 2.5;
  c.strokeStyle = "#ffffff";
  c.stroke(shape);
  c.fillStyle = badge.colour;
  c.fill(shape);
  c.lineWidth = 3;
  c.stroke(new Path2D(badge.mark));
  return canvas;
}

export const badgeId = (status: BadgeStatus) => `status-${status}`;

export const PATTERN_IDS = Object.keys(PATTERNS) as PatternId[];

/** A zone's fill pattern, one tile of `pixels`: its ground colour with diagonal stripes. */
export function drawPattern(id: PatternId, pixels: number): HTMLCanvasElement {
  const [canvas, c] = square(pixels);
  if (c === null) return canvas;
  const { ground, stripe } = PATTERNS[id];
  c.fillStyle = ground;
  c.fillRect(0, 0, pixels, pixels);
  c.strokeStyle = stripe;
  c.lineWidth = pixels / 8;
  c.beginPath();
  // Three strokes so the stripes join across tile edges.
  for (const offset of [-pixels, 0, pixels]) {
    c.moveTo(offset, pixels);
    c.lineTo(offset + pixels, 0);
  }
  c.stroke();
  return canvas;
}

/** Draws the facility symbols, status badges and zone patterns the first time a style asks for
 * them: every map built with `buildStyle` needs this, or MapLibre reports "Image … could not be
 * loaded". */
export function provideSymbols(map: MapLibreMap): void {
  map.setMissingStyleImageResolver((id) => {
    const kind = FACILITY_KINDS.find((k) => symbolId(k) === id);
    const status = BADGE_STATUSES.find((s) => badgeId(s) === id);
    const pattern = PATTERN_IDS.find((p) => p === id);
    if ((kind === undefined && status === undefined && pattern === undefined) || map.hasImage(id)) return;
    const ratio = Math.max(1, Math.round(window.devicePixelRatio));
    const canvas = kind
      ? drawSymbol(kind, 28 * ratio)
      : pattern
        ? drawPattern(pattern, 12 * ratio)
        : drawStatusBadge(status ?? "open", 22 * ratio);
    const image = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height);
    if (image) map.addImage(id, image, { pixelRatio: ratio });
  });
}
