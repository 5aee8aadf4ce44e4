import { answers } from "../../answers";
import { Name } from "../../components/Name";
import { t, tParts } from "../../i18n";
import { depthBand, distance } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { StatusBadge } from "../../map/StatusBadge";
import { nearestHazard, openFacility, place, placeKey } from "../../map/state";
import { type Nearest, nearerButFull, openFirst, type ShelterStatus, shownCapacity } from "../facilities/api";
import { HAZARD_TYPES, type HazardType } from "../hazards/api";
import { household } from "../households/household";
import { matchingGroups } from "../households/welfare";
import { askRoute } from "../routes/state";

/** "flood (0.5–3 m), landslide": the zones at the place whose places were left out. */
function zonesText(answer: Nearest): string {
  const named = answer.avoidedHazards.map((hazard) => {
    const zone = answer.zonesHere.find((z) => z.hazardType === hazard);
    const band = zone ? depthBand(zone) : null;
    return band ? t("nearest.zone", { hazard: t(`hazard.${hazard}`), band }) : t(`hazard.${hazard}`);
  });
  return named.join("・");
}

function statusWord(status: ShelterStatus): string {
  return status.status === "full" ? t("nearest.fullShort") : t("nearest.closedShort");
}

export function NearestPanel() {
  const hazard = nearestHazard.value;
  const key = placeKey();
  const query = useQuery(key === null ? null : `${key}:${hazard}`, () => {
    const { lat, lon } = place.value ?? { lat: 0, lon: 0 };
    return answers.nearestShelters({ lat, lon }, { hazard, walking: true });
  });
  const answer = query.state === "done" ? query.value : null;
  // The places nearby, and the nearest open shelter further away when none of them takes people.
  const listed = answer ? [...answer.features, ...(answer.nearestOpen ? [answer.nearestOpen] : [])] : [];
  const features = openFirst(listed);
  return (
    <section class="panel" aria-labelledby="nearest-title" aria-live="polite">
      <h2 id="nearest-title">{t("nearest.title")}</h2>
      <label class="field">
        <span>{t("nearest.hazard")}</span>
        <select
          value={hazard ?? ""}
          onChange={(event) => {
            const value = (event.target as HTMLSelectElement).value;
            nearestHazard.value = value === "" ? null : (value as HazardType | "any");
          }}
        >
          <option value="">{t("nearest.hazardHere")}</option>
          <option value="any">{t("nearest.hazardAny")}</option>
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
      {answer && answer.avoidedHazards.length > 0 && answer.excludedInside > 0 && (
        <p class="left-out" data-testid="left-out">
          {t("nearest.leftOut", {
            hazards: answer.avoidedHazards.map((h) => t(`hazard.${h}`)).join("・"),
            zones: zonesText(answer),
          })}
        </p>
      )}
      {answer && !answer.liveStatus && <p class="notice">{t("nearest.noLive")}</p>}
      {answer &&
        nearerButFull(listed).map((f) => (
          <p key={f.id} class="notice" data-testid="nearer-full">
            {tParts(
              "nearest.nearerFull",
              { status: statusWord(f.properties.status as ShelterStatus) },
              { name: <Name of={f.properties} /> },
            )}
          </p>
        ))}
      {features
        .filter(
          (f) =>
            f.properties.kinds.includes("welfare_shelter") &&
            matchingGroups(f.properties.targetGroups, household.value).length > 0,
        )
        .map((f) => (
          <p key={f.id} class="notice" data-testid="welfare-match">
            {t("nearest.welfareMatch", { name: f.properties.name })}
          </p>
        ))}
      {answer && features.length === 0 && <p>{t("nearest.none")}</p>}
      {features.length > 0 && (
        <ol class="nearest">
          {features.map((f) => {
            const status = f.properties.status;
            const capacity = shownCapacity(f.properties);
            return (
              <li key={f.id} data-status={status?.status ?? "none"}>
                <div>
                  <Name of={f.properties} as="strong" />
                  <div class="muted">{f.properties.kinds.map((k) => t(`kind.${k}`)).join("・")}</div>
                  {f.properties.walkingDistanceM != null ? (
                    <div data-testid="walking">
                      {t("nearest.walking", {
                        distance: distance(f.properties.walkingDistanceM),
                        minutes: f.properties.walkingRouteMinutes ?? "?",
                      })}
                      <span class="muted">
                        {" "}
                        ({t("nearest.straight", { distance: distance(f.properties.distanceM) })})
                      </span>
                    </div>
                  ) : (
                    <div>
                      {t("nearest.distance", {
                        distance: distance(f.properties.distanceM),
                        minutes: f.properties.walkingMinutes,
                      })}
                    </div>
                  )}
                  {status && (
                    <div class="live-status">
                      <StatusBadge status={status.status} />
                      {status.status !== "closed" && status.occupancy != null && capacity != null && (
                        <span> {t("nearest.people", { people: status.occupancy, capacity })}</span>
                      )}
                    </div>
                  )}
                </div>
                <div class="nearest-actions">
                  <button type="button" class="secondary" onClick={() => (openFacility.value = f.id)}>
                    {t("nearest.open")}
                    <span class="visually-hidden">
                      : <Name of={f.properties} />
                    </span>
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    onClick={() =>
                      askRoute({
                        facilityId: f.id,
                        name: f.properties.name,
                        lat: f.geometry.coordinates[1],
                        lon: f.geometry.coordinates[0],
                      })
                    }
                  >
                    {t("route.short")}
                    <span class="visually-hidden">
                      : <Name of={f.properties} />
                    </span>
                  </button>
                </div>
              </li>
            );
          })}
        </ol>
      )}
      {answer && answer.avoidedHazards.length === 0 && answer.excludedInside > 0 && (
        <p class="muted">{t("nearest.excluded", { count: answer.excludedInside })}</p>
      )}
    </section>
  );
}
