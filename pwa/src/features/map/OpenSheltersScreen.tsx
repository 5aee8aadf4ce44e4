// The resident's list of the shelters open now in a municipality, with how full each is.
import { useEffect, useState } from "preact/hooks";
import { Name } from "../../components/Name";
import { language, t } from "../../i18n";
import { distance } from "../../lib/format";
import { greatCircleM } from "../../lib/geometry";
import { langAttribute, localName } from "../../lib/names";
import { href } from "../../lib/router";
import { offline } from "../../lib/status";
import { StatusBadge } from "../../map/StatusBadge";
import { openFacility, place } from "../../map/state";
import { type Municipality, municipalities } from "../municipalities/api";
import { storedPacks } from "../packs/stored";
import type { OpenShelter } from "../shelters/api";
import { liveKnown, liveShelters, pollLiveShelters } from "./liveShelters";

// Shelters that take people first.
const ORDER = { open: 0, crowded: 1, full: 2, closed: 3 } as const;

/** My municipality: the one around the chosen place, else the one of a stored pack, else the one
 * with the most shelters open now, else the first. */
function mine(towns: Municipality[], open: readonly OpenShelter[]): string | null {
  const here = place.value;
  const around = here
    ? towns.find(
        (m) =>
          m.bbox && m.bbox[0] <= here.lon && here.lon <= m.bbox[2] && m.bbox[1] <= here.lat && here.lat <= m.bbox[3],
      )
    : undefined;
  const counts = new Map<string, number>();
  for (const s of open) if (s.status !== "closed") counts.set(s.municipality, (counts.get(s.municipality) ?? 0) + 1);
  const busiest = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  return around?.code ?? storedPacks.value[0]?.manifest.municipality ?? busiest ?? towns[0]?.code ?? null;
}

export function OpenSheltersScreen() {
  const [towns, setTowns] = useState<Municipality[]>([]);
  // The municipality the resident chose; until then, mine() (which waits for the open shelters).
  const [chosen, setChosen] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => pollLiveShelters(), []);
  useEffect(() => {
    municipalities()
      .then(setTowns)
      .catch(() => undefined)
      .finally(() => setLoaded(true));
  }, []);
  const code = chosen ?? mine(towns, liveShelters.value);
  const here = place.value;
  // Metres from the chosen place, when there is one: the list then goes nearest first.
  const away = (s: OpenShelter) => (here ? greatCircleM(here.lat, here.lon, s.lat, s.lon) : 0);
  const shelters = liveShelters.value
    .filter((s) => code === null || s.municipality === code)
    .sort((a, b) => ORDER[a.status] - ORDER[b.status] || away(a) - away(b) || a.name.localeCompare(b.name, "ja"));
  const showOnMap = (id: string) => {
    openFacility.value = id;
    location.hash = href("resident", "map");
  };
  return (
    <section class="panel" aria-labelledby="open-shelters-title" aria-live="polite">
      <h2 id="open-shelters-title">{t("shelters.title")}</h2>
      {towns.length > 1 && (
        <label class="field">
          <span>{t("shelters.municipality")}</span>
          <select value={code ?? ""} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
            {towns.map((m) => (
              <option key={m.code} value={m.code} lang={langAttribute(localName(m, language.value).lang)}>
                {localName(m, language.value).text}
              </option>
            ))}
          </select>
        </label>
      )}
      {offline.value || (loaded && !liveKnown.value) ? (
        <p class="notice">{t("shelters.offline")}</p>
      ) : !loaded ? (
        <p>{t("shelters.loading")}</p>
      ) : shelters.length === 0 ? (
        <p>{t("shelters.none")}</p>
      ) : (
        <ul class="open-shelters">
          {shelters.map((s) => {
            const percent = s.capacity ? Math.min(100, Math.round((100 * s.people) / s.capacity)) : null;
            return (
              <li key={s.shelterId} data-status={s.status}>
                <Name of={s} as="strong" />
                {here && <span class="distance"> {distance(away(s))}</span>}
                <div class="live-status">
                  <StatusBadge status={s.status} />
                  {s.status !== "closed" && s.capacity != null && (
                    <span> {t("nearest.people", { people: s.people, capacity: s.capacity })}</span>
                  )}
                </div>
                {percent !== null && s.status !== "closed" && (
                  <div class={`fill fill-${s.status}`} aria-hidden="true">
                    <span style={{ width: `${percent}%` }} />
                  </div>
                )}
                <button type="button" class="secondary" onClick={() => showOnMap(s.shelterId)}>
                  {t("shelters.onMap")}
                  <span class="visually-hidden">
                    : <Name of={s} />
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
