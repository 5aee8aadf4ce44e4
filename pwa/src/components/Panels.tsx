import { useState } from "preact/hooks";
import { api, HAZARD_TYPES, type HazardType } from "../api";
import { depthBand, distance } from "../format";
import { t } from "../i18n";
import { hazardsAtOffline, nearestOffline, orOffline } from "../offline";
import { nearestHazard, openFacility, place } from "../state";
import { useQuery } from "./useQuery";

const placeKey = () => (place.value ? `${place.value.lat.toFixed(5)},${place.value.lon.toFixed(5)}` : null);

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

export function RiskPanel() {
  const key = placeKey();
  const query = useQuery(key, () => {
    const { lat, lon } = place.value ?? { lat: 0, lon: 0 };
    return orOffline(
      () => api.hazardsAt(lat, lon),
      () => hazardsAtOffline(lat, lon),
    );
  });
  return (
    <section class="panel" aria-labelledby="risk-title" aria-live="polite">
      <h2 id="risk-title">{t("risk.title")}</h2>
      {place.value && <p class="muted">{t(place.value.origin === "here" ? "risk.here" : "risk.point")}</p>}
      {query.state === "idle" && <p>{t("risk.empty")}</p>}
      {query.state === "loading" && <p>{t("risk.loading")}</p>}
      {query.state === "error" && <p class="error">{t("risk.error", { reason: query.reason })}</p>}
      {query.state === "done" && query.value.zones.length === 0 && <p>{t("risk.none")}</p>}
      {query.state === "done" && query.value.zones.length > 0 && (
        <ul class="zones">
          {query.value.zones.map((zone) => {
            const band = depthBand(zone);
            return (
              <li key={zone.zoneId}>
                <strong>{t(`hazard.${zone.hazardType}`)}</strong>
                {band && (
                  <span>
                    {" "}
                    — {zone.depthMinM !== null || zone.depthMaxM !== null ? t("risk.depth", { band }) : band}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

export function NearestPanel() {
  const hazard = nearestHazard.value;
  const key = placeKey();
  const query = useQuery(key === null ? null : `${key}:${hazard}`, () => {
    const { lat, lon } = place.value ?? { lat: 0, lon: 0 };
    return orOffline(
      () => api.nearest(lat, lon, hazard),
      () => nearestOffline(lat, lon, hazard),
    );
  });
  return (
    <section class="panel" aria-labelledby="nearest-title" aria-live="polite">
      <h2 id="nearest-title">{t("nearest.title")}</h2>
      <label class="field">
        <span>{t("nearest.hazard")}</span>
        <select
          value={hazard ?? ""}
          onChange={(event) => {
            const value = (event.target as HTMLSelectElement).value;
            nearestHazard.value = value === "" ? null : (value as HazardType);
          }}
        >
          <option value="">—</option>
          {HAZARD_TYPES.map((h) => (
            <option key={h} value={h}>
              {t(`hazard.${h}`)}
            </option>
          ))}
        </select>
      </label>
      {query.state === "idle" && <p>{t("nearest.empty")}</p>}
      {query.state === "loading" && <p>{t("nearest.loading")}</p>}
      {query.state === "error" && <p class="error">{t("nearest.error", { reason: query.reason })}</p>}
      {query.state === "done" && query.value.features.length === 0 && <p>{t("nearest.none")}</p>}
      {query.state === "done" && query.value.features.length > 0 && (
        <ol class="nearest">
          {query.value.features.map((f) => (
            <li key={f.id}>
              <div>
                <strong>{f.properties.name}</strong>
                <div class="muted">{f.properties.kinds.map((k) => t(`kind.${k}`)).join("・")}</div>
                <div>
                  {t("nearest.distance", {
                    distance: distance(f.properties.distanceM),
                    minutes: f.properties.walkingMinutes,
                  })}
                </div>
                {f.properties.status && <div>{t(`status.${f.properties.status.status}`)}</div>}
              </div>
              <button type="button" class="secondary" onClick={() => (openFacility.value = f.id)}>
                {t("nearest.open")}
                <span class="visually-hidden">: {f.properties.name}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
      {query.state === "done" && query.value.excludedInside > 0 && (
        <p class="muted">{t("nearest.excluded", { count: query.value.excludedInside })}</p>
      )}
    </section>
  );
}
