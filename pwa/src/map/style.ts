// The map style: our vector tiles only (no basemap service, no glyphs: labels are not drawn on
// the map; names are in the sheet and lists, in the reader's language and device fonts).
import type {
  ExpressionSpecification,
  FillLayerSpecification,
  LayerSpecification,
  LineLayerSpecification,
  StyleSpecification,
} from "maplibre-gl";
import { TILE_URL } from "../api/client";
import { ZONE_TYPES, type ZoneType } from "../features/hazards/api";

/** The standard depth bands and colours of 国土交通省「水害ハザードマップ作成の手引き」(H28), shallow
 * to deep: the colours residents know from their town's printed flood map. `min` in metres. */
export const DEPTH_BANDS = [
  { min: 0, max: 0.5, colour: "#f7f5a9" },
  { min: 0.5, max: 3, colour: "#ffd8c0" },
  { min: 3, max: 5, colour: "#ffb7b7" },
  { min: 5, max: 10, colour: "#ff9191" },
  { min: 10, max: 20, colour: "#f285c9" },
  { min: 20, max: null, colour: "#dc7adc" },
] as const;

/** Tsunami: a blue ramp of its own (deeper is darker), never mistaken for the river's pinks, also
 * by red–green colour-blind readers (blue against yellow–pink stays apart in every common type). */
export const TSUNAMI_BANDS = [
  { min: 0, max: 1, colour: "#cfe3f7" },
  { min: 1, max: 3, colour: "#8dbbea" },
  { min: 3, max: 5, colour: "#4f8fd6" },
  { min: 5, max: 10, colour: "#2a64b8" },
  { min: 10, max: null, colour: "#1a3f8a" },
] as const;

/** Landslide zones in the colours of the prefectures' maps: 警戒区域 yellow, 特別警戒区域 red. */
export const LANDSLIDE_COLOURS = { warning: "#ffe100", special: "#e60012" } as const;

/** One colour per hazard: the legend's swatch and the zone outline (bands and patterns aside). */
export const HAZARD_COLOURS: Record<ZoneType, string> = {
  flood: "#ffb7b7",
  landslide: LANDSLIDE_COLOURS.warning,
  storm_surge: "#00838f",
  earthquake: "#795548",
  tsunami: "#4f8fd6",
  large_fire: "#e65100",
  inland_flood: "#ffd8c0",
  volcano: "#616161",
  // Past inundation: purple, outlined and dashed, barely filled — a record, not a depth forecast.
  flood_history: "#7b1fa2",
};

/** Fill patterns (drawn by symbols.ts): hatching tells storm surge and landslide zones from the
 * flat depth colours even where colours alone would not. */
export const PATTERNS = {
  "pattern-storm_surge": { ground: "rgba(0, 131, 143, 0.18)", stripe: "#00838f" },
  "pattern-landslide-warning": { ground: "rgba(255, 225, 0, 0.55)", stripe: "#8a6d00" },
  "pattern-landslide-special": { ground: "rgba(230, 0, 18, 0.5)", stripe: "#7f0000" },
  "pattern-volcano": { ground: "rgba(97, 97, 97, 0.2)", stripe: "#424242" },
} as const;
export type PatternId = keyof typeof PATTERNS;

const depth: ExpressionSpecification = ["coalesce", ["get", "depthMinM"], 0];
const graded = (bands: readonly { min: number; colour: string }[]): ExpressionSpecification =>
  [
    "step",
    depth,
    bands[0]?.colour ?? "#000",
    ...bands.slice(1).flatMap((b) => [b.min, b.colour]),
  ] as ExpressionSpecification;
/** 特別警戒区域 ("2", or a label naming it) over 警戒区域. */
const special: ExpressionSpecification = [
  "any",
  ["==", ["get", "rankCode"], "2"],
  ["in", "特別", ["coalesce", ["get", "rankLabel"], ""]],
];

type Look = { fill: FillLayerSpecification["paint"]; line: LineLayerSpecification["paint"] };
export const LOOKS: Record<ZoneType, Look> = {
  flood: {
    fill: { "fill-color": graded(DEPTH_BANDS), "fill-opacity": 0.72 },
    line: { "line-color": "#a15c5c", "line-width": 0.75 },
  },
  // Inland flooding: the same depth colours (the 手引き unifies them), told apart by a dashed edge.
  inland_flood: {
    fill: { "fill-color": graded(DEPTH_BANDS), "fill-opacity": 0.72 },
    line: { "line-color": "#5d4037", "line-width": 2, "line-dasharray": [2, 1.5] },
  },
  tsunami: {
    fill: { "fill-color": graded(TSUNAMI_BANDS), "fill-opacity": 0.6 },
    line: { "line-color": "#0d2e6e", "line-width": 1.25 },
  },
  storm_surge: {
    fill: { "fill-pattern": "pattern-storm_surge" },
    line: { "line-color": "#005662", "line-width": 2 },
  },
  landslide: {
    fill: { "fill-pattern": ["case", special, "pattern-landslide-special", "pattern-landslide-warning"] },
    line: { "line-color": ["case", special, "#7f0000", "#8a6d00"], "line-width": 1.5 },
  },
  earthquake: {
    fill: { "fill-color": HAZARD_COLOURS.earthquake, "fill-opacity": 0.3 },
    line: { "line-color": HAZARD_COLOURS.earthquake, "line-width": 1.5, "line-dasharray": [1, 1] },
  },
  large_fire: {
    fill: { "fill-color": HAZARD_COLOURS.large_fire, "fill-opacity": 0.3 },
    line: { "line-color": "#a33a00", "line-width": 1.5 },
  },
  volcano: {
    fill: { "fill-pattern": "pattern-volcano" },
    line: { "line-color": "#424242", "line-width": 1.5 },
  },
  flood_history: {
    fill: { "fill-color": HAZARD_COLOURS.flood_history, "fill-opacity": 0.1 },
    line: { "line-color": HAZARD_COLOURS.flood_history, "line-width": 2.5, "line-dasharray": [2, 1] },
  },
};

/** The map's own colours (not the data's) in the light and the dark scheme. */
export const SCHEMES = {
  light: { background: "#f3f1ec", boundary: "#37474f", here: "#d50000", halo: "#ffffff" },
  dark: { background: "#1d1f21", boundary: "#cfd8dc", here: "#ff5252", halo: "#1d1f21" },
} as const;
export type Scheme = keyof typeof SCHEMES;

export const preferredScheme = (): Scheme =>
  globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";

/** On a dark ground the pale depth colours need more opacity to stay the colours of the 手引き. */
const darker = (fill: FillLayerSpecification["paint"]): FillLayerSpecification["paint"] => {
  const opacity = fill?.["fill-opacity"];
  return typeof opacity === "number" ? { ...fill, "fill-opacity": Math.min(0.9, opacity + 0.15) } : fill;
};

export const hazardLayerId = (hazard: ZoneType, suffix = "") => `hazard-${hazard}${suffix}`;

/** Zones that record the past: drawn as outlines, not as depth bands. */
export const isHistory = (zone: ZoneType) => zone === "flood_history";

/** The data layers for one source: the server's tiles ("bosai", no suffix) or a stored pack. */
export function dataLayers(source: string, suffix: string, scheme: Scheme = preferredScheme()): LayerSpecification[] {
  const hazardLayers: LayerSpecification[] = ZONE_TYPES.flatMap((hazard): LayerSpecification[] => [
    {
      id: hazardLayerId(hazard, suffix),
      type: "fill",
      source,
      "source-layer": "hazards",
      filter: ["==", ["get", "hazardType"], hazard],
      paint: scheme === "dark" ? darker(LOOKS[hazard].fill) : LOOKS[hazard].fill,
    },
    {
      id: `${hazardLayerId(hazard, suffix)}-outline`,
      type: "line",
      source,
      "source-layer": "hazards",
      filter: ["==", ["get", "hazardType"], hazard],
      paint: LOOKS[hazard].line,
    },
  ]);
  return [
    // Streets under the hazards: even without a basemap a resident sees where the roads are.
    {
      id: `roads${suffix}`,
      type: "line",
      source,
      "source-layer": "roads",
      paint: {
        "line-color": ["match", ["get", "class"], ["path", "steps"], "#d3cec3", "#ffffff"],
        "line-width": [
          "interpolate",
          ["linear"],
          ["zoom"],
          11,
          ["match", ["get", "class"], ["trunk", "primary", "secondary"], 1.5, 0.5],
          16,
          ["match", ["get", "class"], ["trunk", "primary", "secondary", "tertiary"], 8, ["path", "steps"], 2, 5],
        ],
      },
    },
    ...hazardLayers,
    {
      id: `boundaries${suffix}`,
      type: "line",
      source,
      "source-layer": "boundaries",
      paint: { "line-color": SCHEMES[scheme].boundary, "line-width": 2, "line-dasharray": [3, 2] },
    },
    {
      id: `facilities${suffix}`,
      type: "symbol",
      source,
      "source-layer": "facilities",
      layout: {
        "icon-image": ["concat", "kind-", ["get", "kind"]],
        "icon-size": ["interpolate", ["linear"], ["zoom"], 10, 0.6, 15, 1],
        "icon-allow-overlap": true,
      },
    },
  ];
}

export function buildStyle(origin: string, scheme: Scheme = preferredScheme()): StyleSpecification {
  const colours = SCHEMES[scheme];
  return {
    version: 8,
    sources: {
      bosai: { type: "vector", tiles: [`${origin}${TILE_URL}`], minzoom: 0, maxzoom: 16 },
      here: { type: "geojson", data: { type: "FeatureCollection", features: [] } },
      // Shelters open now, with how full they are: from GET /api/shelters/open, not from tiles
      // (tiles are cached per data version; a check-in would renew them all).
      "shelters-live": { type: "geojson", data: { type: "FeatureCollection", features: [] } },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": colours.background } },
      ...dataLayers("bosai", "", scheme),
      {
        id: "shelter-status",
        type: "symbol",
        source: "shelters-live",
        minzoom: 10,
        layout: {
          "icon-image": ["concat", "status-", ["get", "status"]],
          "icon-size": ["interpolate", ["linear"], ["zoom"], 10, 0.6, 15, 0.9],
          // Above and right of the facility symbol, which stays visible beneath.
          "icon-offset": [14, -14],
          "icon-allow-overlap": true,
          "icon-ignore-placement": true,
        },
      },
      {
        id: "here",
        type: "circle",
        source: "here",
        paint: {
          "circle-radius": 9,
          "circle-color": colours.here,
          "circle-stroke-color": colours.halo,
          "circle-stroke-width": 3,
        },
      },
    ],
  };
}
