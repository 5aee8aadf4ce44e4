import { FacilitySheet } from "../components/FacilitySheet";
import { Legend } from "../components/Legend";
import { LocateButton, NearestPanel, RiskPanel } from "../components/Panels";
import { MapView } from "../map/MapView";

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
