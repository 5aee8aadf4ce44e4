import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../../i18n";
import { reason } from "../../lib/useQuery";
import { maplibregl } from "../../map/maplibre";
import { buildStyle } from "../../map/style";
import { me } from "../accounts/session";
import {
  CARE_NEEDS,
  liveUrl,
  type Occupancy,
  occupancy,
  occupancyCsvUrl,
  occupancyGeojsonUrl,
  STAYS,
  suppliesShort,
} from "./api";
import { applyLive, type Totals, totals } from "./live";

const FILL_COLOURS = { open: "#2e7d32", crowded: "#ef6c00", full: "#c62828", closed: "#757575" } as const;

function asGeoJson(shelters: Occupancy[]): GeoJSON.FeatureCollection {
  return {
    type: "FeatureCollection",
    features: shelters.map((s) => ({
      type: "Feature",
      id: s.shelterId,
      geometry: { type: "Point", coordinates: [s.lon, s.lat] },
      properties: { status: s.status, people: s.people, fill: s.fill ?? 0 },
    })),
  };
}

/** Shelters as circles coloured by how full they are, sized by how many people are inside. */
function ShelterMap({ shelters }: { shelters: Occupancy[] }) {
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<maplibregl.Map | null>(null);
  useEffect(() => {
    if (!container.current) return;
    const created = new maplibregl.Map({
      container: container.current,
      style: buildStyle(location.origin),
      attributionControl: false,
    });
    created.on("load", () => {
      created.addSource("shelters", { type: "geojson", data: asGeoJson(shelters) });
      created.addLayer({
        id: "shelters",
        type: "circle",
        source: "shelters",
        paint: {
          "circle-color": ["match", ["get", "status"], ...Object.entries(FILL_COLOURS).flat(), "#757575"] as never,
          "circle-radius": ["interpolate", ["linear"], ["get", "people"], 0, 7, 100, 18],
          "circle-stroke-color": "#ffffff",
          "circle-stroke-width": 2,
        },
      });
      const points = shelters.map((s): [number, number] => [s.lon, s.lat]);
      if (points.length > 0) {
        const lons = points.map((p) => p[0]);
        const lats = points.map((p) => p[1]);
        created.fitBounds(
          [
            [Math.min(...lons), Math.min(...lats)],
            [Math.max(...lons), Math.max(...lats)],
          ],
          { padding: 40, maxZoom: 14, duration: 0 },
        );
      }
    });
    map.current = created;
    return () => map.current?.remove();
  }, []);
  useEffect(() => {
    (map.current?.getSource("shelters") as maplibregl.GeoJSONSource | undefined)?.setData(asGeoJson(shelters));
  }, [shelters]);
  return <div ref={container} class="map dashboard-map" role="img" aria-label={t("hq.mapLabel")} />;
}

function CareList({ care }: { care: Partial<Record<string, number>> }) {
  const present = CARE_NEEDS.filter((need) => (care[need] ?? 0) > 0);
  if (present.length === 0) return <span class="muted">—</span>;
  return <span>{present.map((need) => `${t(`care.${need}`)} ${care[need]}`).join("・")}</span>;
}

function TotalsPanel({ title, sums }: { title: string; sums: Totals }) {
  return (
    <section class="panel totals" aria-label={title}>
      <h3>{title}</h3>
      <p class="count">
        <span class="big">{sums.people}</span> {t("hq.peopleOf", { capacity: sums.capacity })}
      </p>
      <p class="muted">{t("hq.sheltersOpen", { open: sums.open, count: sums.shelters })}</p>
      <p>
        <CareList care={sums.care} />
      </p>
    </section>
  );
}

export function Dashboard() {
  const [shelters, setShelters] = useState<Occupancy[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<"connecting" | "live" | "lost">("connecting");
  const [updated, setUpdated] = useState<Date | null>(null);
  const signedIn = me.value?.kind === "operator";

  useEffect(() => {
    if (!signedIn) return;
    // The stream first, then the occupancy once it is open: a stream that resumes nothing starts
    // at the newest event, so nothing falls between the two; what it brings before the occupancy
    // has arrived is in the occupancy already.
    const stream = new EventSource(liveUrl);
    let loaded = false;
    const load = () => {
      if (loaded) return;
      loaded = true;
      occupancy().then(
        (list) => {
          setShelters(list);
          setUpdated(new Date());
        },
        (failure: unknown) => setError(reason(failure)),
      );
    };
    stream.onopen = () => {
      setLive("live");
      load();
    };
    stream.onerror = () => {
      setLive("lost");
      load(); // no stream (yet): the occupancy as it is, all the same
    };
    stream.addEventListener("occupancy", (event) => {
      const { shelter } = JSON.parse((event as MessageEvent<string>).data) as { shelter: Occupancy };
      setShelters((current) => (current === null ? null : applyLive(current, shelter)));
      setUpdated(new Date());
    });
    return () => stream.close();
  }, [signedIn]);

  if (!signedIn) return null;
  if (error) return <p class="error panel">{error}</p>;
  if (shelters === null) return <p class="panel">{t("hq.loading")}</p>;
  const sums = totals(shelters);
  const towns = Object.entries(sums.municipalities);
  return (
    <div class="dashboard">
      <section class="panel">
        <p class="live" role="status" data-state={live}>
          {t(`hq.live.${live}`)}
          {updated && <span class="muted"> {t("hq.updated", { time: updated.toLocaleTimeString() })}</span>}
        </p>
        <div class="buttons">
          <a class="button secondary" href={occupancyCsvUrl} download>
            {t("hq.exportCsv")}
          </a>
          <a class="button secondary" href={occupancyGeojsonUrl} download>
            {t("hq.exportGeojson")}
          </a>
        </div>
      </section>
      <div class="totals-row">
        <TotalsPanel title={t("hq.totalAll")} sums={sums.all} />
        {towns.length > 1 &&
          towns.map(([code, town]) => (
            <TotalsPanel
              key={code}
              title={t("hq.totalTown", {
                name: shelters.find((s) => s.municipality === code)?.municipalityName ?? code,
              })}
              sums={town}
            />
          ))}
      </div>
      {shelters.length === 0 ? (
        <p class="panel">{t("hq.noShelters")}</p>
      ) : (
        <>
          <ShelterMap shelters={shelters} />
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (WCAG 2.1.1) */}
          <section class="table-wrap" aria-label={t("hq.tableCaption")} tabIndex={0}>
            <table class="occupancy">
              <caption>{t("hq.tableCaption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("hq.shelter")}</th>
                  <th scope="col">{t("hq.status")}</th>
                  <th scope="col">{t("hq.people")}</th>
                  <th scope="col">{t("hq.byStay")}</th>
                  <th scope="col">{t("hq.care")}</th>
                  <th scope="col">{t("hq.needs")}</th>
                </tr>
              </thead>
              <tbody>
                {shelters.map((s) => (
                  <tr key={s.shelterId} data-shelter={s.shelterId} data-status={s.status}>
                    <th scope="row">
                      {s.name}
                      <span class="muted"> {s.municipalityName}</span>
                    </th>
                    <td>
                      <span class="status-dot" style={{ background: FILL_COLOURS[s.status] }} aria-hidden="true" />
                      {t(`status.${s.status}`)}
                    </td>
                    <td data-testid="people">
                      {s.people}
                      {s.capacity ? ` / ${s.capacity}` : ""}
                      {s.fill !== null && (
                        <meter min={0} max={1} low={0.8} high={0.99} optimum={0} value={s.fill} aria-hidden="true" />
                      )}
                    </td>
                    <td>{STAYS.map((stay) => `${t(`stay.${stay}`)} ${s.byStay[stay]}`).join("・")}</td>
                    <td>
                      <CareList care={s.care} />
                    </td>
                    <td>
                      {[
                        suppliesShort(s.needs) && t("hq.suppliesShort", { what: suppliesShort(s.needs) }),
                        s.needs.sick ? t("hq.sick", { count: s.needs.sick }) : null,
                        s.needs.incidents && t("hq.incidents", { what: s.needs.incidents }),
                        s.petsAccepted ? t("hq.pets") : null,
                      ]
                        .filter(Boolean)
                        .join(" / ") || <span class="muted">—</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </div>
  );
}
