import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";
import { place } from "../../map/state";
import { RoutePanel } from "../routes/RoutePanel";
import { FacilitySheet } from "./FacilitySheet";
import { Legend } from "./Legend";
import { loadMapView } from "./load";
import { NearestPanel } from "./NearestPanel";
import { RiskPanel } from "./RiskPanel";

/** The map arrives with its library, after the panels: on a weak signal the risk and nearest
 * answers (and every other screen) work while MapLibre is still on its way. */
function LazyMapView() {
  const [View, setView] = useState<FunctionComponent | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    loadMapView().then(
      (module) => setView(() => module.MapView),
      () => setFailed(true),
    );
  }, []);
  if (View) return <View />;
  return (
    <section class="map-area" aria-label={t("map.label")}>
      <div class="map map-placeholder" />
      <p class={failed ? "map-status error" : "map-status"} role={failed ? "alert" : "status"}>
        {failed ? t("map.error", { reason: t("map.notLoaded") }) : t("map.loading")}
      </p>
    </section>
  );
}

export function MapScreen() {
  return (
    // Once a place is chosen, a phone shows a shorter map so that what to do there is in the first screen.
    <div class={place.value ? "map-screen has-place" : "map-screen"}>
      <LazyMapView />
      <div class="panels">
        <RoutePanel />
        <RiskPanel />
        <NearestPanel />
        <Legend />
      </div>
      <FacilitySheet />
    </div>
  );
}
