// The dashboard's arithmetic: a live update replaces one shelter; totals per municipality and for
// everything shown (the prefecture, for prefectural headquarters).
import type { Occupancy } from "./api";

export interface Totals {
  shelters: number;
  open: number;
  people: number;
  capacity: number;
  care: Partial<Record<string, number>>;
}

/** The list with `shelter` replaced (or added, in name order, when it was opened just now). */
export function applyLive(shelters: Occupancy[], shelter: Occupancy): Occupancy[] {
  const at = shelters.findIndex((s) => s.shelterId === shelter.shelterId && s.event === shelter.event);
  if (at >= 0) return shelters.map((s, i) => (i === at ? shelter : s));
  return [...shelters, shelter].sort(
    (a, b) => a.municipality.localeCompare(b.municipality) || a.name.localeCompare(b.name, "ja"),
  );
}

const empty = (): Totals => ({ shelters: 0, open: 0, people: 0, capacity: 0, care: {} });

function add(into: Totals, shelter: Occupancy): void {
  into.shelters += 1;
  into.open += shelter.status === "closed" ? 0 : 1;
  into.people += shelter.people;
  into.capacity += shelter.capacity ?? 0;
  for (const [need, count] of Object.entries(shelter.care)) into.care[need] = (into.care[need] ?? 0) + count;
}

export function totals(shelters: Occupancy[]): { all: Totals; municipalities: Record<string, Totals> } {
  const all = empty();
  const municipalities: Record<string, Totals> = {};
  for (const shelter of shelters) {
    add(all, shelter);
    municipalities[shelter.municipality] ??= empty();
    add(municipalities[shelter.municipality] as Totals, shelter);
  }
  return { all, municipalities };
}
