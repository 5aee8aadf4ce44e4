// "Where I am" in My Areas: with the resident's consent (the box in My Areas), the point moves when
// the app learns where the phone is (the map's 現在地), so that alerts for the place they are in
// reach them. Small and loaded with the app: the subscription code is fetched only when the point
// has moved far enough to be worth telling the server.
import { effect } from "@preact/signals";
import { place } from "../../map/state";
import type { PushArea } from "./api";

/** Where My Areas are kept on the device (push.ts reads and writes them). */
export const PUSH_KEY = "bosai.push";
export const HERE_RADIUS_M = 1000;
/** Moved less than this, the server is not told (a phone's fix wanders by tens of metres). */
export const MOVE_M = 300;

export const hereArea = (lat: number, lon: number, label: string): PushArea => ({
  lat: Math.round(lat * 1e4) / 1e4, // about 10 m: no more precise than needed
  lon: Math.round(lon * 1e4) / 1e4,
  radiusM: HERE_RADIUS_M,
  here: true,
  label,
});

/** Metres between two points (equirectangular: exact enough at a few kilometres). */
export function metres(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const k = Math.PI / 180;
  const x = (b.lon - a.lon) * k * Math.cos(((a.lat + b.lat) / 2) * k);
  const y = (b.lat - a.lat) * k;
  return Math.hypot(x, y) * 6_371_000;
}

/** The "where I am" point kept on the device, when the resident asked for one. */
export function storedHere(): PushArea | null {
  try {
    const raw = globalThis.localStorage?.getItem(PUSH_KEY);
    const areas = raw ? ((JSON.parse(raw) as { areas?: PushArea[] }).areas ?? []) : [];
    return areas.find((a) => a.here) ?? null;
  } catch {
    return null;
  }
}

/** Called once by the app: follow the phone's place while "where I am" is on. */
export function followHere(): void {
  effect(() => {
    const now = place.value;
    if (now?.origin !== "here") return;
    const before = storedHere();
    if (!before || metres({ lat: before.lat ?? 0, lon: before.lon ?? 0 }, now) < MOVE_M) return;
    void import("./push").then((push) => push.moveHere(now.lat, now.lon));
  });
}
