import "./desk/desk.css";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { t } from "../../i18n";
import { reason } from "../../lib/useQuery";
import { SignInPanel } from "../accounts/SignIn";
import { me } from "../accounts/session";
import { liveUrl, type Occupancy, occupancy, occupancyCsvUrl, occupancyGeojsonUrl } from "./api";
import { Filters, OccupancyTable } from "./desk/OccupancyTable";
import { ShelterDetail } from "./desk/ShelterDetail";
import { ShelterMap } from "./desk/ShelterMap";
import { TrendChart } from "./desk/TrendChart";
import { type Filter, filterShelters, NO_FILTER, type Sort, sortShelters } from "./desk/table";
import { applyLive, type Totals, totals } from "./live";

function Total({ title, sums, testId }: { title: string; sums: Totals; testId?: string }) {
  const care = Object.entries(sums.care).reduce((n, [need, count]) => (need === "pets" ? n : n + (count ?? 0)), 0);
  return (
    <div class="hq-total" data-testid={testId}>
      <span class="hq-total-title">{title}</span> <span class="big">{sums.people}</span>{" "}
      {t("hq.peopleOf", { capacity: sums.capacity })}
      <span class="muted">
        {" "}
        · {t("hq.sheltersOpen", { open: sums.open, count: sums.shelters })}
        {care > 0 && ` · ${t("hq.careCount", { count: care })}`}
      </span>
    </div>
  );
}

/** Headquarters at a desk: a toolbar, the totals always in view, a full-height map of the
 * shelters beside a sortable, filterable table, a shelter's detail, and the trend over the event.
 * On a phone the same parts stack. */
export function Dashboard() {
  const [shelters, setShelters] = useState<Occupancy[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<"connecting" | "live" | "lost">("connecting");
  const [updated, setUpdated] = useState<Date | null>(null);
  const [changes, setChanges] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const [sort, setSort] = useState<Sort>({ key: "name", descending: false });
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
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
      setChanges((n) => n + 1);
    });
    return () => stream.close();
  }, [signedIn]);

  // At a desk the map and the table fill the screen below whatever stands above them (the app's
  // header, the toolbar, the totals): that height is measured, not guessed.
  const main = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const measure = () => {
      const element = main.current;
      if (element) element.style.setProperty("--hq-top", `${element.getBoundingClientRect().top + window.scrollY}px`);
    };
    measure();
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  });
  const shown = useMemo(
    () => (shelters ? sortShelters(filterShelters(shelters, filter), sort) : []),
    [shelters, filter, sort],
  );
  if (!signedIn) return null;
  if (error) return <p class="error panel">{error}</p>;
  if (shelters === null) return <p class="panel">{t("hq.loading")}</p>;
  const sums = totals(shelters);
  const names = new Map(shelters.map((s) => [s.municipality, s.municipalityName]));
  const towns = [...names.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  const chosen = shelters.find((s) => s.shelterId === selected) ?? null;
  // Headquarters of one municipality: its total is the whole; the prefecture's: each town too.
  const townTotals = towns.length > 1 ? towns : [];
  return (
    <div class="dashboard hq">
      <section class="hq-totals" aria-label={t("hq.totalAll")} data-testid="hq-totals">
        <Total title={t("hq.totalAll")} sums={sums.all} testId="total-all" />
        {townTotals.map(([code, name]) => (
          <Total key={code} title={name} sums={sums.municipalities[code] as Totals} />
        ))}
      </section>
      <div class="hq-toolbar">
        <p class="live" role="status" data-state={live}>
          {t(`hq.live.${live}`)}
          {updated && <span class="muted"> {t("hq.updated", { time: updated.toLocaleTimeString() })}</span>}
        </p>
        <a class="button secondary" href={occupancyCsvUrl} download>
          {t("hq.exportCsv")}
        </a>
        <a class="button secondary" href={occupancyGeojsonUrl} download>
          {t("hq.exportGeojson")}
        </a>
        <SignInPanel />
      </div>
      {shelters.length === 0 ? (
        <p class="panel">{t("hq.noShelters")}</p>
      ) : (
        <div class="hq-main" ref={main}>
          <section class="hq-map-pane" aria-label={t("hq.mapLabel")}>
            <ShelterMap shelters={shown} selected={selected} onSelect={setSelected} />
            {chosen && <ShelterDetail shelter={chosen} onClose={() => setSelected(null)} />}
          </section>
          <div class="hq-side">
            <Filters filter={filter} towns={towns} shown={shown.length} count={shelters.length} onChange={setFilter} />
            <OccupancyTable shelters={shown} sort={sort} selected={selected} onSort={setSort} onSelect={setSelected} />
            <TrendChart changes={changes} />
          </div>
        </div>
      )}
    </div>
  );
}
