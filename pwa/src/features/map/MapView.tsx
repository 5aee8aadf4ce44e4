import { effect } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../../i18n";
import { union } from "../../lib/geometry";
import { offline, serverReachable } from "../../lib/status";
import { maplibregl } from "../../map/maplibre";
import { MIN_START_ZOOM } from "../../map/sketch";
import { hiddenHazards, mapReady, openFacility, place } from "../../map/state";
import { buildStyle, dataLayers, hazardLayerId, preferredScheme, SCHEMES } from "../../map/style";
import { provideSymbols } from "../../map/symbols";
import { ZONE_TYPES } from "../hazards/api";
import { type Bbox, municipalities } from "../municipalities/api";
import { packKey, packSourceUrl, storedPacks } from "../packs/stored";
import { showRoute } from "../routes/mapLayer";
import { LocateButton } from "./LocateButton";
import { liveShelters, pollLiveShelters } from "./liveShelters";

const JAPAN: Bbox = [128.0, 30.0, 146.0, 46.0];

declare global {
  interface Window {
    /** The map, for end-to-end tests that query rendered features. */
    __bosaiMap?: maplibregl.Map;
  }
}

/** The full map; `cover` (the sketch) lies over it until it is drawn. */
export function MapView({ cover }: { cover?: ComponentChildren }) {
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
    provideSymbols(map);
    map.on("load", () => {
      setReady(true);
      mapReady.value = true;
    });
    map.on("error", (event) => {
      // A missing tile offline is expected; anything else is shown.
      if (!(event as { tile?: unknown }).tile) setError(String(event.error?.message ?? event.error));
    });
    const clickable = (layer: string) => {
      map.on("click", layer, (event) => {
        const id = event.features?.[0]?.properties?.id;
        if (typeof id === "string") openFacility.value = id;
      });
      map.on("mouseenter", layer, () => {
        map.getCanvas().style.cursor = "pointer";
      });
      map.on("mouseleave", layer, () => {
        map.getCanvas().style.cursor = "";
      });
    };
    clickable("facilities");
    clickable("shelter-status");
    map.on("contextmenu", (event) => {
      place.value = { lat: event.lngLat.lat, lon: event.lngLat.lng, origin: "point" };
    });
    municipalities()
      .then((towns) => {
        const bounds = union(towns.flatMap((m) => (m.bbox ? [m.bbox] : [])));
        if (bounds) map.fitBounds(bounds, { padding: 16, duration: 0 });
        if (map.getZoom() < MIN_START_ZOOM) map.setZoom(MIN_START_ZOOM);
      })
      .catch(() => {
        serverReachable.value = false;
        const bounds = union(storedPacks.value.map((p) => p.manifest.bbox));
        if (bounds) map.fitBounds(bounds, { padding: 16, duration: 0 });
        if (map.getZoom() < MIN_START_ZOOM) map.setZoom(MIN_START_ZOOM);
      });
    // Stored packs: a source and layers each, shown instead of the server's tiles when offline.
    let styleReady = false;
    let applyLatest = () => {};
    map.once("load", () => {
      styleReady = true;
      applyLatest();
    });
    const stopPacks = effect(() => {
      const packs = storedPacks.value;
      const hidden = hiddenHazards.value;
      const useServer = !offline.value || packs.length === 0;
      const apply = () => {
        const groups = [{ suffix: "", shown: useServer }];
        for (const { manifest } of packs) {
          const source = `pack-${packKey(manifest)}`;
          const suffix = `@${packKey(manifest)}`;
          if (!map.getSource(source)) {
            map.addSource(source, { type: "vector", url: packSourceUrl(manifest) });
            for (const layer of dataLayers(source, suffix)) map.addLayer(layer, "here");
            clickable(`facilities${suffix}`);
          }
          groups.push({ suffix, shown: !useServer });
        }
        for (const { suffix, shown } of groups) {
          for (const hazard of ZONE_TYPES) {
            const visibility = shown && !hidden.has(hazard) ? "visible" : "none";
            map.setLayoutProperty(hazardLayerId(hazard, suffix), "visibility", visibility);
            map.setLayoutProperty(`${hazardLayerId(hazard, suffix)}-outline`, "visibility", visibility);
          }
          for (const layer of ["boundaries", "facilities"]) {
            map.setLayoutProperty(`${layer}${suffix}`, "visibility", shown ? "visible" : "none");
          }
        }
      };
      applyLatest = apply;
      if (styleReady) apply();
    });
    // Sources exist before "load" fires: on load, the latest data is set (a place chosen before
    // then was otherwise wiped by the empty data of the first run).
    let latestPlace: maplibregl.GeoJSONSourceSpecification["data"] = { type: "FeatureCollection", features: [] };
    map.once("load", () => (map.getSource("here") as maplibregl.GeoJSONSource).setData(latestPlace));
    const stopPlace = effect(() => {
      const here = place.value;
      latestPlace = {
        type: "FeatureCollection",
        features: here
          ? [{ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [here.lon, here.lat] } }]
          : [],
      };
      (map.getSource("here") as maplibregl.GeoJSONSource | undefined)?.setData(latestPlace);
      // The device's location is brought into view; a place chosen on the map already is in view.
      // After the frame in which the map shrinks for the chosen place, so the place ends centred.
      if (here?.origin === "here") {
        requestAnimationFrame(() => {
          map.resize();
          map.easeTo({ center: [here.lon, here.lat], zoom: Math.max(map.getZoom(), 14) });
        });
      }
    });
    // The live status badges: shelters open now (none offline: an old state would mislead).
    let latestLive: maplibregl.GeoJSONSourceSpecification["data"] = { type: "FeatureCollection", features: [] };
    map.once("load", () => (map.getSource("shelters-live") as maplibregl.GeoJSONSource).setData(latestLive));
    const stopLive = effect(() => {
      const shelters = offline.value ? [] : liveShelters.value;
      latestLive = {
        type: "FeatureCollection",
        features: shelters.map((s) => ({
          type: "Feature",
          properties: { id: s.shelterId, status: s.status, people: s.people, capacity: s.capacity },
          geometry: { type: "Point", coordinates: [s.lon, s.lat] },
        })),
      };
      (map.getSource("shelters-live") as maplibregl.GeoJSONSource | undefined)?.setData(latestLive);
    });
    const stopPolling = pollLiveShelters();
    const stopRoute = showRoute(map);
    // The device switching between light and dark repaints the map's own colours.
    const dark = window.matchMedia?.("(prefers-color-scheme: dark)");
    const repaint = () => {
      const colours = SCHEMES[preferredScheme()];
      if (!map.isStyleLoaded()) return;
      map.setPaintProperty("background", "background-color", colours.background);
      map.setPaintProperty("here", "circle-color", colours.here);
      map.setPaintProperty("here", "circle-stroke-color", colours.halo);
      for (const layer of map.getStyle().layers) {
        if (layer.id.startsWith("boundaries")) map.setPaintProperty(layer.id, "line-color", colours.boundary);
      }
    };
    dark?.addEventListener("change", repaint);
    return () => {
      dark?.removeEventListener("change", repaint);
      stopLive();
      stopRoute();
      stopPolling();
      stopPacks();
      stopPlace();
      map.remove();
      mapReady.value = false;
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
      {cover}
      <div class="map-actions">
        <LocateButton />
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
      {!place.value && <p class="hint">{t("map.tapHint")}</p>}
    </section>
  );
}
