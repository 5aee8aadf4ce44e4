// What the route panel shares with the map: where the route goes, and what is shown.
import { signal } from "@preact/signals";
import type { RouteAnswer, RouteTarget } from "./api";

export const routeTarget = signal<RouteTarget | null>(null);
export const shownRoute = signal<RouteAnswer | null>(null);

/** Open the route panel for a place (from the facility sheet or the nearest list). */
export function askRoute(target: RouteTarget): void {
  routeTarget.value = target; // the panel brings itself into view once rendered (RoutePanel)
}
