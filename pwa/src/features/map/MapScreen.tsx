import type { ComponentChildren, FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";
import { mapReady, place, sketchSettled } from "../../map/state";
import { routeTarget } from "../routes/state";
import { FacilitySheet } from "./FacilitySheet";
import { Legend } from "./Legend";
import { LocateButton } from "./LocateButton";
import { loadMapView } from "./load";
import { NearestPanel } from "./NearestPanel";
import { RiskPanel } from "./RiskPanel";
import { SketchMap } from "./SketchMap";

/** The map arrives with its library, after the panels: on a weak signal the risk and nearest
 * answers (and every other screen) work while MapLibre is still on its way, and a sketch of the
 * same view (streets, zones, shelters; a tap opens a sheet) is drawn from a few kilobytes of tiles
 * first. MapLibre's bytes are asked for once the sketch has settled, so they do not share the
 * signal with it. */
function LazyMapView({ cover }: { cover: ComponentChildren }) {
  const [View, setView] = useState<FunctionComponent<{ cover?: ComponentChildren }> | null>(null);
  const [failed, setFailed] = useState(false);
  const settled = sketchSettled.value;
  useEffect(() => {
    if (!settled) return;
    loadMapView().then(
      (module) => setView(() => module.MapView),
      () => setFailed(true),
    );
  }, [settled]);
  if (View) return <View cover={cover} />;
  return (
    <section class="map-area" aria-label={t("map.label")}>
      <div class="map map-placeholder" />
      {cover}
      <p class={failed ? "map-status error" : "map-status"} role={failed ? "alert" : "status"}>
        {failed ? t("map.error", { reason: t("map.notLoaded") }) : t("map.loading")}
      </p>
      <div class="map-actions">
        <LocateButton />
      </div>
    </section>
  );
}

/** The route panel's code (with the device's router) only once a route is asked for. */
function LazyRoutePanel() {
  const [Panel, setPanel] = useState<FunctionComponent | null>(null);
  const wanted = routeTarget.value !== null;
  useEffect(() => {
    if (!wanted || Panel) return;
    import("../routes/RoutePanel").then(
      (module) => setPanel(() => module.RoutePanel),
      () => undefined, // offline before the service worker stored it: the sheet and lists still work
    );
  }, [wanted, Panel]);
  return Panel ? <Panel /> : null;
}

export function MapScreen() {
  return (
    // Once a place is chosen, a phone shows a shorter map so that what to do there is in the first screen.
    <div class={place.value ? "map-screen has-place" : "map-screen"}>
      <LazyMapView cover={mapReady.value ? null : <SketchMap />} />
      <div class="panels">
        <LazyRoutePanel />
        <RiskPanel />
        <NearestPanel />
        <Legend />
      </div>
      <FacilitySheet />
    </div>
  );
}
