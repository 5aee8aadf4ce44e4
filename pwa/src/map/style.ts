// The map style: our vector tiles only (no basemap service, no glyphs: labels are not drawn on
// the map; names are in the sheet and lists, in the reader's language and device fonts).
import type { ExpressionSpecification, LayerSpecification, StyleSpecification } from "maplibre-gl";
import { TILE_URL } from "../api/client";
import { HAZARD_TYPES, type HazardType } from "../features/hazards/api";

export const HAZARD_COLOURS: Record<HazardType, string> = {
  flood: "#1565c0",
  landslide: "#8d6e00",
  storm_surge: "#00838f",
  earthquake: "#6d4c41",
  tsunami: "#283593",
  large_fire: "#d84315",
  inland_flood: "#0277bd",
  volcano: "#4e342e",
};

// Deeper (or higher-ranked) zones are drawn more opaque.
const DEPTH_OPACITY: ExpressionSpecification = [
  "interpolate",
  ["linear"],
  ["coalesce", ["get", "depthMinM"], ["to-number", ["get", "rankCode"], 1], 0],
  0,
  0.22,
  3,
  0.4,
  10,
  0.55,
];

export const hazardLayerId = (hazard: HazardType, suffix = "") => `hazard-${hazard}${suffix}`;

/** The data layers for one source: the server's tiles ("bosai", no suffix) or a stored pack. */
export function dataLayers(source: string, suffix: string): LayerSpecification[] {
  const hazardLayers: LayerSpecification[] = HAZARD_TYPES.flatMap((hazard): LayerSpecification[] => [
    {
      id: hazardLayerId(hazard, suffix),
      type: "fill",
      source,
      "source-layer": "hazards",
      filter: ["==", ["get", "hazardType"], hazard],
      paint: { "fill-color": HAZARD_COLOURS[hazard], "fill-opacity": DEPTH_OPACITY },
    },
    {
      id: `${hazardLayerId(hazard, suffix)}-outline`,
      type: "line",
      source,
      "source-layer": "hazards",
      filter: ["==", ["get", "hazardType"], hazard],
      paint: { "line-color": HAZARD_COLOURS[hazard], "line-width": 1 },
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
      paint: { "line-color": "#37474f", "line-width": 2, "line-dasharray": [3, 2] },
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

export function buildStyle(origin: string): StyleSpecification {
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
      { id: "background", type: "background", paint: { "background-color": "#f3f1ec" } },
      ...dataLayers("bosai", ""),
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
          "circle-color": "#d50000",
          "circle-stroke-color": "#ffffff",
          "circle-stroke-width": 3,
        },
      },
    ],
  };
}
