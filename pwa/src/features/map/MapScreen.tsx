import { place } from "../../map/state";
import { FacilitySheet } from "./FacilitySheet";
import { Legend } from "./Legend";
import { MapView } from "./MapView";
import { NearestPanel } from "./NearestPanel";
import { RiskPanel } from "./RiskPanel";

export function MapScreen() {
  return (
    // Once a place is chosen, a phone shows a shorter map so that what to do there is in the first screen.
    <div class={place.value ? "map-screen has-place" : "map-screen"}>
      <MapView />
      <div class="panels">
        <RiskPanel />
        <NearestPanel />
        <Legend />
      </div>
      <FacilitySheet />
    </div>
  );
}
