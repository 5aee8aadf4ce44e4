import { effect } from "@preact/signals";
import * as maplibregl from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url";
import { Protocol } from "pmtiles";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Bbox, FACILITY_KINDS, HAZARD_TYPES } from "../api";
import { t } from "../i18n";
import { hiddenHazards, openFacility, place } from "../state";
import { serverReachable } from "../status";
import { buildStyle, hazardLayerId } from "./style";
import { drawSymbol, symbolId } from "./symbols";

// Once per page: the worker MapLibre 6 cannot find by itself, and the pmtiles:// protocol the
// offline packs use.
maplibregl.setWorkerUrl(workerUrl);
maplibregl.addProtocol("pmtiles", new Protocol().tile);

const JAPAN: Bbox = [128.0, 30.0, 146.0, 46.0];
const MIN_START_ZOOM = 11;

declare global {
  interface Window {
    /** The map, for end-to-end tests that query rendered features. */
    __bosaiMap?: maplibregl.Map;
  }
}

function union(boxes: Bbox[]): Bbox | null {
  if (boxes.length === 0) return null;
  return boxes.reduce((a, b) => [
    Math.min(a[0], b[0]),
    Math.min(a[1], b[1]),
    Math.max(a[2], b[2]),
    Math.max(a[3], b[3]),
  ]);
}

export function MapView() {
  const container = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    if (container.current === null) return;
    const map = new maplibregl.Map({
      container: container.current,
      style: buildStyle(location.origin),
      bounds: JAPAN,
      localIdeographFontFamily: "'Noto Sans CJK JP', 'Hiragino Sans', sans-serif",
      attributionControl: false,
      cooperativeGestures: false,
    });
    window.__bosaiMap = map;
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    // Facility symbols are drawn when the style first needs them.
    map.setMissingStyleImageResolver((id) => {
      const kind = FACILITY_KINDS.find((k) => symbolId(k) === id);
      if (kind === undefined || map.hasImage(id)) return;
      const ratio = Math.max(1, Math.round(window.devicePixelRatio));
      const canvas = drawSymbol(kind, 28 * ratio);
      const image = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height);
      if (image) map.addImage(id, image, { pixelRatio: ratio });
    });
    map.on("load", () => setReady(true));
    map.on("error", (event) => {
      // A missing tile offline is expected; anything else is shown.
      if (!(event as { tile?: unknown }).tile) setError(String(event.error?.message ?? event.error));
    });
    map.on("click", "facilities", (event) => {
      const id = event.features?.[0]?.properties?.id;
      if (typeof id === "string") openFacility.value = id;
    });
    map.on("mouseenter", "facilities", () => {
      map.getCanvas().style.cursor = "pointer";
    });
    map.on("mouseleave", "facilities", () => {
      map.getCanvas().style.cursor = "";
    });
    map.on("contextmenu", (event) => {
      place.value = { lat: event.lngLat.lat, lon: event.lngLat.lng, origin: "point" };
    });
    api
      .municipalities()
      .then((towns) => {
        const bounds = union(towns.flatMap((m) => (m.bbox ? [m.bbox] : [])));
        if (bounds) map.fitBounds(bounds, { padding: 16, duration: 0 });
        // Close enough to see the facilities (their tiles start at zoom 10) on a phone.
        if (map.getZoom() < MIN_START_ZOOM) map.setZoom(MIN_START_ZOOM);
      })
      .catch(() => {
        serverReachable.value = false;
      });
    const stopHazards = effect(() => {
      const hidden = hiddenHazards.value;
      if (!map.isStyleLoaded()) return;
      for (const hazard of HAZARD_TYPES) {
        const visibility = hidden.has(hazard) ? "none" : "visible";
        map.setLayoutProperty(hazardLayerId(hazard), "visibility", visibility);
        map.setLayoutProperty(`${hazardLayerId(hazard)}-outline`, "visibility", visibility);
      }
    });
    const stopPlace = effect(() => {
      const here = place.value;
      const source = map.getSource("here") as maplibregl.GeoJSONSource | undefined;
      const data: maplibregl.GeoJSONSourceSpecification["data"] = {
        type: "FeatureCollection",
        features: here
          ? [{ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [here.lon, here.lat] } }]
          : [],
      };
      if (source) source.setData(data);
      else map.once("load", () => (map.getSource("here") as maplibregl.GeoJSONSource).setData(data));
      // The device's location is brought into view; a place chosen on the map already is in view.
      if (here?.origin === "here") map.easeTo({ center: [here.lon, here.lat], zoom: Math.max(map.getZoom(), 14) });
    });
    map.once("load", () => {
      hiddenHazards.value = new Set(hiddenHazards.value); // apply the toggles kept from before
    });
    return () => {
      stopHazards();
      stopPlace();
      map.remove();
      window.__bosaiMap = undefined;
    };
  }, []);

  function checkCentre() {
    const map = window.__bosaiMap;
    if (!map) return;
    const { lat, lng } = map.getCenter();
    place.value = { lat, lon: lng, origin: "point" };
  }

  return (
    <section class="map-area" aria-label={t("map.label")}>
      <div ref={container} class="map" role="application" aria-label={t("map.label")} data-ready={ready} />
      <div class="map-actions">
        <button type="button" class="secondary" onClick={checkCentre}>
          {t("map.checkCentre")}
        </button>
      </div>
      {!ready && !error && <p class="map-status">{t("map.loading")}</p>}
      {error && (
        <p class="map-status error" role="alert">
          {t("map.error", { reason: error })}
        </p>
      )}
      <p class="hint">{t("map.tapHint")}</p>
    </section>
  );
}
