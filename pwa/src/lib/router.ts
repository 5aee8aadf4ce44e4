import { computed, signal } from "@preact/signals";
import type { MessageKey } from "../i18n";

export const AREAS = {
  resident: ["map", "shelters", "offline", "myinfo", "alerts", "family", "outbox"],
  staff: ["shelter", "scan", "walkin"],
  hq: ["dashboard", "orders"],
} as const;
export type Area = keyof typeof AREAS;
export type Screen = (typeof AREAS)[Area][number];
export interface Route {
  area: Area;
  screen: Screen;
}

export const DEFAULT_ROUTE: Route = { area: "resident", screen: "map" };

/** "#/staff/scan" → {area: "staff", screen: "scan"}; anything unknown → the resident map. */
export function parseRoute(hash: string): Route {
  const [area, screen] = hash.replace(/^#\/?/, "").split("/");
  if (area !== undefined && area in AREAS) {
    const screens: readonly string[] = AREAS[area as Area];
    const chosen = screen !== undefined && screens.includes(screen) ? screen : screens[0];
    return { area: area as Area, screen: chosen as Screen };
  }
  return DEFAULT_ROUTE;
}

export const href = (area: Area, screen: Screen): string => `#/${area}/${screen}`;
export const screenTitle = (screen: Screen): MessageKey => `screen.${screen}`;

const hash = signal(globalThis.location?.hash ?? "");
globalThis.addEventListener?.("hashchange", () => {
  hash.value = location.hash;
});
export const route = computed(() => parseRoute(hash.value));
