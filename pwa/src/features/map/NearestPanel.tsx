import { answers } from "../../answers";
import { t } from "../../i18n";
import { distance } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { nearestHazard, openFacility, place, placeKey } from "../../map/state";
import { HAZARD_TYPES, type HazardType } from "../hazards/api";

export function NearestPanel() {
  const hazard = nearestHazard.value;
  const key = placeKey();
  const query = useQuery(key === null ? null : `${key}:${hazard}`, () => {
    const { lat, lon } = place.value ?? { lat: 0, lon: 0 };
    return answers.nearestShelters({ lat, lon }, { hazard });
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
