// A small map for alerts: the alert's area drawn over the hazard map (the inbox), a point picked
// for My Areas, and the polygon or circle headquarters draw for an order. MapLibre comes with the
// alerts' own chunk (shared with the map screen's). For the pointer: every choice made here has a way by keyboard beside it
// (the municipality list, "use my home", the coordinates shown).

import type * as MapLibre from "maplibre-gl";
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../../i18n";
import { maplibregl } from "../../map/maplibre";
import { buildStyle } from "../../map/style";

type Geo = GeoJSON.Geometry | null;

export interface Marker {
  lat: number;
  lon: number;
  label: string;
}

declare global {
  interface Window {
    /** The alerts map shown last, for end-to-end tests (clicks at coordinates). */
    __bosaiAlertMap?: MapLibre.Map;
  }
}

const FILL = "#aa00aa";

/** [west, south, east, north] of the points of a geometry. */
export function bounds(geometry: GeoJSON.Geometry): [number, number, number, number] | null {
  const xs: number[] = [];
  const ys: number[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "number") {
      xs.push(value[0]);
      ys.push(value[1]);
    } else if (Array.isArray(value)) for (const v of value) walk(v);
  };
  walk("coordinates" in geometry ? geometry.coordinates : []);
  if (xs.length === 0) return null;
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

export function AreaMap({
  area,
  bbox,
  markers = [],
  onPick,
  label,
  class: className = "",
  center,
}: {
  area: Geo;
  bbox?: number[] | null;
  markers?: Marker[];
  onPick?: (lat: number, lon: number) => void;
  label: string;
  class?: string;
  center?: { lat: number; lon: number; zoom: number };
}) {
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<MapLibre.Map | null>(null);
  const placed = useRef<MapLibre.Marker[]>([]);
  const pick = useRef(onPick);
  pick.current = onPick;
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let gone = false;
    let made: MapLibre.Map | null = null;
    Promise.resolve().then(
      () => {
        if (gone || !container.current) return;
        made = new maplibregl.Map({
          container: container.current,
          style: buildStyle(location.origin),
          localIdeographFontFamily: "'Noto Sans CJK JP', 'Hiragino Sans', sans-serif",
          attributionControl: false,
          center: center ? [center.lon, center.lat] : [140.74, 40.82],
          zoom: center?.zoom ?? 10,
        });
        made.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
        // Taps place corners: two in a row must not zoom the map.
        if (pick.current) made.doubleClickZoom.disable();
        made.on("load", () => {
          if (!made) return;
          made.addSource("alert-area", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
          made.addLayer({
            id: "alert-area-fill",
            type: "fill",
            source: "alert-area",
            paint: { "fill-color": FILL, "fill-opacity": 0.25 },
          });
          made.addLayer({
            id: "alert-area-line",
            type: "line",
            source: "alert-area",
            paint: { "line-color": FILL, "line-width": 3 },
          });
          made.addLayer({
            id: "alert-area-vertex",
            type: "circle",
            source: "alert-area",
            filter: ["==", ["geometry-type"], "Point"],
            paint: {
              "circle-radius": 5,
              "circle-color": FILL,
              "circle-stroke-color": "#fff",
              "circle-stroke-width": 2,
            },
          });
          setReady(true);
        });
        made.on("click", (event) => pick.current?.(event.lngLat.lat, event.lngLat.lng));
        map.current = made;
        window.__bosaiAlertMap = made;
      },
      (error: unknown) => setFailed(String(error)),
    );
    return () => {
      gone = true;
      made?.remove();
      map.current = null;
      if (window.__bosaiAlertMap === made) window.__bosaiAlertMap = undefined;
    };
  }, []);

  useEffect(() => {
    const shown = map.current;
    if (!shown || !ready) return;
    const source = shown.getSource("alert-area") as MapLibre.GeoJSONSource | undefined;
    const features: GeoJSON.Feature[] = area ? [{ type: "Feature", geometry: area, properties: {} }] : [];
    source?.setData({ type: "FeatureCollection", features });
    const box = bbox ?? (area ? bounds(area) : null);
    if (box && box.length === 4 && !onPick) {
      shown.fitBounds(
        [
          [box[0] as number, box[1] as number],
          [box[2] as number, box[3] as number],
        ],
        { padding: 24, maxZoom: 15, duration: 0 },
      );
    }
  }, [ready, area, bbox]);

  useEffect(() => {
    const shown = map.current;
    if (!shown || !ready) return;
    for (const m of placed.current) m.remove();
    placed.current = markers.map((m) => {
      const element = document.createElement("div");
      element.className = "alert-marker";
      element.setAttribute("aria-hidden", "true");
      element.textContent = m.label;
      return new maplibregl.Marker({ element, anchor: "bottom" }).setLngLat([m.lon, m.lat]).addTo(shown);
    });
  }, [ready, markers]);

  return (
    <div class={`alert-map ${className}`}>
      <p class="visually-hidden">{label}</p>
      <div ref={container} class="map" data-testid="alert-map" />
      {failed && <p class="error">{t("alerts.mapFailed", { reason: failed })}</p>}
    </div>
  );
}
