import { Name } from "../../../components/Name";
import { t } from "../../../i18n";
import { StatusBadge } from "../../../map/StatusBadge";
import { type Occupancy, suppliesShort } from "../api";
import { peopleText } from "./ShelterMap";
import { careCount, type Filter, firstDirection, type Sort, type SortKey, shortTime } from "./table";

const COLUMNS: { key: SortKey | null; label: string }[] = [
  { key: "name", label: "hq.shelter" },
  { key: null, label: "hq.status" },
  { key: "people", label: "hq.people" },
  { key: "fill", label: "hq.fill" },
  { key: "care", label: "hq.care" },
  { key: "updated", label: "hq.updatedCol" },
];

const STATUSES = ["open", "crowded", "full", "closed"] as const;

/** Filters above the table: municipality, status, words of the name. */
export function Filters({
  filter,
  towns,
  shown,
  count,
  onChange,
}: {
  filter: Filter;
  towns: [string, string][];
  shown: number;
  count: number;
  onChange: (next: Filter) => void;
}) {
  return (
    <fieldset class="hq-filters">
      <legend class="visually-hidden">{t("hq.filterText")}</legend>
      <label>
        <span>{t("hq.filterTown")}</span>
        <select
          value={filter.municipality}
          onChange={(e) => onChange({ ...filter, municipality: (e.target as HTMLSelectElement).value })}
        >
          <option value="">{t("hq.filterAny")}</option>
          {towns.map(([code, name]) => (
            <option key={code} value={code}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>{t("hq.filterStatus")}</span>
        <select
          value={filter.status}
          onChange={(e) => onChange({ ...filter, status: (e.target as HTMLSelectElement).value })}
        >
          <option value="">{t("hq.filterAny")}</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {t(`status.${status}`)}
            </option>
          ))}
        </select>
      </label>
      <label class="hq-search">
        <span>{t("hq.filterText")}</span>
        <input
          type="search"
          value={filter.text}
          onInput={(e) => onChange({ ...filter, text: (e.target as HTMLInputElement).value })}
        />
      </label>
      <output class="muted" aria-live="polite">
        {t("hq.shown", { shown, count })}
      </output>
    </fieldset>
  );
}

/** The shelters as a table: headers sort (a second press reverses), a row opens the detail. */
export function OccupancyTable({
  shelters,
  sort,
  selected,
  onSort,
  onSelect,
}: {
  shelters: Occupancy[];
  sort: Sort;
  selected: string | null;
  onSort: (next: Sort) => void;
  onSelect: (id: string) => void;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (WCAG 2.1.1)
    <section class="table-wrap" aria-label={t("hq.tableCaption")} tabIndex={0}>
      <table class="occupancy">
        <caption class="visually-hidden">{t("hq.tableCaption")}</caption>
        <thead>
          <tr>
            {COLUMNS.map(({ key, label }) => {
              const current = key !== null && sort.key === key;
              const order = current ? (sort.descending ? "descending" : "ascending") : undefined;
              return (
                <th key={label} scope="col" aria-sort={order}>
                  {key === null ? (
                    t(label as "hq.status")
                  ) : (
                    <button
                      type="button"
                      class="sort"
                      data-sort={key}
                      onClick={() => onSort({ key, descending: current ? !sort.descending : firstDirection(key) })}
                    >
                      {t(label as "hq.shelter")}
                      <span aria-hidden="true">{current ? (sort.descending ? " ▼" : " ▲") : " ⇅"}</span>
                    </button>
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {shelters.map((s) => {
            const care = careCount(s);
            const needs = Boolean(suppliesShort(s.needs) || s.needs.incidents || s.needs.sick);
            return (
              <tr
                key={s.shelterId}
                data-shelter={s.shelterId}
                data-status={s.status}
                class={s.shelterId === selected ? "selected" : undefined}
                onClick={() => onSelect(s.shelterId)}
              >
                <th scope="row">
                  <button type="button" class="link" onClick={() => onSelect(s.shelterId)}>
                    <Name of={s} />
                  </button>
                  <span class="muted town">{s.municipalityName}</span>
                  {needs && <span class="badge care">{t("hq.needsFlag")}</span>}
                </th>
                <td>
                  <StatusBadge status={s.status} />
                </td>
                <td data-testid="people">{peopleText(s)}</td>
                <td>
                  {s.fill === null ? (
                    "—"
                  ) : (
                    <>
                      {Math.round(s.fill * 100)}%
                      <meter min={0} max={1} low={0.8} high={0.99} optimum={0} value={s.fill} aria-hidden="true" />
                    </>
                  )}
                </td>
                <td>{care || "—"}</td>
                <td>
                  <time dateTime={s.updatedAt}>{shortTime(s.updatedAt)}</time>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
