// The route on the map: a thick line with a halo over the hazards (dashed for the straight line
// when there is no road data), and the map brought to it.
import { effect } from "@preact/signals";
import type { maplibregl } from "../../map/maplibre";
import { preferredScheme } from "../../map/style";
import type { RouteAnswer } from "./api";
import { shownRoute } from "./state";

const LINE = { light: "#0b57d0", dark: "#8ab4f8" } as const;
const HALO = { light: "#ffffff", dark: "#161718" } as const;

function data(answer: RouteAnswer | null): GeoJSON.FeatureCollection {
  if (!answer) return { type: "FeatureCollection", features: [] };
  const coordinates = answer.kind === "route" ? answer.coordinates : [answer.from, answer.to];
  return {
    type: "FeatureCollection",
    features: [{ type: "Feature", properties: { kind: answer.kind }, geometry: { type: "LineString", coordinates } }],
  };
}

/** Keep the map's route layer in step with the route shown; returns the function that stops it. */
export function showRoute(map: maplibregl.Map): () => void {
  let latest: RouteAnswer | null = null;
  // Sources can be added once the style has loaded; offline, tiles that never come keep
  // map.loaded() false, so the "load" event is what counts.
  let ready = false;
  const draw = () => {
    if (!ready) return;
    const scheme = preferredScheme();
    if (!map.getSource("route")) {
      map.addSource("route", { type: "geojson", data: data(latest) });
      map.addLayer({
        id: "route-halo",
        type: "line",
        source: "route",
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": HALO[scheme], "line-width": 9 },
      });
      map.addLayer({
        id: "route",
        type: "line",
        source: "route",
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": LINE[scheme], "line-width": 5 },
      });
    } else {
      (map.getSource("route") as maplibregl.GeoJSONSource).setData(data(latest));
    }
    map.setPaintProperty("route", "line-dasharray", latest?.kind === "straight" ? [2, 1.5] : undefined);
    // Over the hazards of packs added since, under the place's dot.
    map.moveLayer("route-halo");
    map.moveLayer("route");
    if (map.getLayer("here")) map.moveLayer("here");
    if (latest) {
      const coordinates = latest.kind === "route" ? latest.coordinates : [latest.from, latest.to];
      const lons = coordinates.map((c) => c[0]);
      const lats = coordinates.map((c) => c[1]);
      map.fitBounds(
        [
          [Math.min(...lons), Math.min(...lats)],
          [Math.max(...lons), Math.max(...lats)],
        ],
        { padding: 40, maxZoom: 17, duration: 0 },
      );
    }
  };
  map.once("load", () => {
    ready = true;
    draw();
  });
  const stop = effect(() => {
    latest = shownRoute.value;
    draw();
  });
  return stop;
}
