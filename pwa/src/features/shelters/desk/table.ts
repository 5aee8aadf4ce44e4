// The headquarters table's arithmetic: which shelters a filter keeps, in which order a sort puts
// them. Pure, so it is tested without a browser.
import type { Occupancy } from "../api";

export const SORT_KEYS = ["name", "people", "fill", "care", "updated"] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface Sort {
  key: SortKey;
  descending: boolean;
}

export interface Filter {
  municipality: string; // "" = every one
  status: string; // "" = every one
  text: string;
}

export const NO_FILTER: Filter = { municipality: "", status: "", text: "" };

/** People with a care need (pets aside: they are not people). */
export const careCount = (s: Occupancy) =>
  Object.entries(s.care).reduce((sum, [need, n]) => (need === "pets" ? sum : sum + (n ?? 0)), 0);

const value: Record<SortKey, (s: Occupancy) => number | string> = {
  name: (s) => s.name,
  people: (s) => s.people,
  // Without a capacity the fill is unknown: below every known one.
  fill: (s) => s.fill ?? -1,
  care: careCount,
  updated: (s) => Date.parse(s.updatedAt),
};

export function sortShelters(shelters: readonly Occupancy[], sort: Sort): Occupancy[] {
  const get = value[sort.key];
  const sign = sort.descending ? -1 : 1;
  return [...shelters].sort((a, b) => {
    const x = get(a);
    const y = get(b);
    const order = typeof x === "string" ? x.localeCompare(String(y), "ja") : x - (y as number);
    // Ties in name order, always ascending, so equal rows never jump about on a live update.
    return sign * order || a.name.localeCompare(b.name, "ja");
  });
}

/** Numbers and counts read best largest first; names and times in their natural order. */
export const firstDirection = (key: SortKey) => key !== "name";

export function filterShelters(shelters: readonly Occupancy[], filter: Filter): Occupancy[] {
  const words = filter.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return shelters.filter(
    (s) =>
      (!filter.municipality || s.municipality === filter.municipality) &&
      (!filter.status || s.status === filter.status) &&
      words.every((w) => `${s.name} ${s.municipalityName}`.toLowerCase().includes(w)),
  );
}

/** A time of today as "15:04", of another day with its date ("11/28 15:04"). */
export function shortTime(iso: string, now = new Date()): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit" });
  return at.toDateString() === now.toDateString() ? time : `${at.getMonth() + 1}/${at.getDate()} ${time}`;
}
