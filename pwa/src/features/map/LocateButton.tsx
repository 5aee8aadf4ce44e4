import { useState } from "preact/hooks";
import { t } from "../../i18n";
import { place } from "../../map/state";

export function LocateButton() {
  const [status, setStatus] = useState<string | null>(null);
  function locate() {
    if (!("geolocation" in navigator)) {
      setStatus(t("map.locateError", { reason: "geolocation" }));
      return;
    }
    setStatus(t("map.locating"));
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setStatus(null);
        place.value = { lat: position.coords.latitude, lon: position.coords.longitude, origin: "here" };
      },
      (error) => setStatus(t("map.locateError", { reason: error.message })),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  }
  return (
    <div class="locate">
      <button type="button" class="primary" onClick={locate}>
        {t("map.locate")}
      </button>
      <p class="status" role="status">
        {status}
      </p>
    </div>
  );
}
