import { FacilitySheet } from "./FacilitySheet";
import { Legend } from "./Legend";
import { LocateButton } from "./LocateButton";
import { MapView } from "./MapView";
import { NearestPanel } from "./NearestPanel";
import { RiskPanel } from "./RiskPanel";

export function MapScreen() {
  return (
    <div class="map-screen">
      <MapView />
      <div class="panels">
        <LocateButton />
        <RiskPanel />
        <NearestPanel />
        <Legend />
      </div>
      <FacilitySheet />
    </div>
  );
}
