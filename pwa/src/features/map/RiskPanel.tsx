import { answers } from "../../answers";
import { t } from "../../i18n";
import { depthBand } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { place, placeKey } from "../../map/state";
import { adviceKey, pastFloods, worstPerHazard } from "./advice";

export function RiskPanel() {
  const key = placeKey();
  const query = useQuery(key, () => {
    const { lat, lon } = place.value ?? { lat: 0, lon: 0 };
    return answers.hazardsAt({ lat, lon });
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
          {worstPerHazard(query.value.zones).map((zone) => {
            const band = depthBand(zone);
            return (
              <li key={zone.zoneId} data-hazard={zone.hazardType}>
                <strong>{t(`hazard.${zone.hazardType}`)}</strong>
                {band && (
                  <span>
                    {" "}
                    — {zone.depthMinM !== null || zone.depthMaxM !== null ? t("risk.depth", { band }) : band}
                  </span>
                )}
                <p class="advice">{t(adviceKey(zone))}</p>
              </li>
            );
          })}
          {pastFloods(query.value.zones).length > 0 && (
            <li key="history" data-hazard="flood_history">
              <strong>{t("hazard.flood_history")}</strong>
              <span>
                {" "}
                —{" "}
                {pastFloods(query.value.zones)
                  .map((when) =>
                    when.date
                      ? t("risk.history.date", { date: when.date })
                      : when.year !== null
                        ? t("risk.history.year", { year: when.year })
                        : t("risk.history.unknown"),
                  )
                  .join(", ")}
              </span>
              <p class="advice">{t("advice.flood_history")}</p>
            </li>
          )}
        </ul>
      )}
    </section>
  );
}
