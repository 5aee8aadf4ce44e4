// What the route panel shares with the map: where the route goes, and what is shown.
import { signal } from "@preact/signals";
import type { RouteAnswer, RouteTarget } from "./api";

export const routeTarget = signal<RouteTarget | null>(null);
export const shownRoute = signal<RouteAnswer | null>(null);

/** Open the route panel for a place (from the facility sheet or the nearest list). */
export function askRoute(target: RouteTarget): void {
  routeTarget.value = target;
  // After the panel renders: bring it into view for the keyboard and the screen reader.
  requestAnimationFrame(() => document.getElementById("route-title")?.focus());
}
