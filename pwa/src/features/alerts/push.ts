// Subscribing this device: what the browser can do (iPhone: only from the Home Screen), asking
// for permission after the app has explained why, and the subscription's settings ("My Areas"),
// kept on the device with the token that alone may change them.
import { signal } from "@preact/signals";
import { ApiError } from "../../api/client";
import { changeSubscription, familyNews, type PushArea, pushKey, subscribe, unsubscribe } from "./api";
import { hereArea, PUSH_KEY } from "./here";
import { keepSetting } from "./inbox";
import { type AlertKind, pushLanguage } from "./levels";

export const MAX_AREAS = 10;
export type PushLanguage = "ja" | "en" | "ja-easy";
export type Intensity = "1" | "2" | "3" | "4" | "5-" | "5+" | "6-" | "6+" | "7";
export const INTENSITIES: readonly Intensity[] = ["1", "2", "3", "4", "5-", "5+", "6-", "6+", "7"];

export interface MyAreas {
  areas: PushArea[];
  languages: PushLanguage[];
  kinds: AlertKind[];
  minIntensity: Intensity;
}

export interface Saved extends MyAreas {
  id: string;
  token: string;
  /** This browser also receives its resident's family safety news. */
  family?: boolean;
}

const KEY = PUSH_KEY;

export const defaultAreas = (language: string): MyAreas => ({
  areas: [],
  languages: [pushLanguage(language)],
  kinds: ["evacuation", "warning", "landslide", "flood", "earthquake", "tsunami", "shelter"],
  minIntensity: "4",
});

function read(): Saved | null {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    return raw ? (JSON.parse(raw) as Saved) : null;
  } catch {
    return null;
  }
}

/** The subscription this device made (null: none). */
export const saved = signal<Saved | null>(read());

function remember(next: Saved | null): void {
  saved.value = next;
  if (next === null) globalThis.localStorage?.removeItem(KEY);
  else globalThis.localStorage?.setItem(KEY, JSON.stringify(next));
}

export type Support = "ok" | "ios-home-screen" | "unsupported";

export interface Platform {
  userAgent: string;
  platform: string;
  maxTouchPoints: number;
  standalone: boolean;
  pushManager: boolean;
  notification: boolean;
}

/** iPhone and iPad let a web app receive pushes only once it is on the Home Screen (iOS 16.4+). */
export function support(p: Platform): Support {
  const ios = /iPhone|iPad|iPod/.test(p.userAgent) || (p.platform === "MacIntel" && p.maxTouchPoints > 1);
  if (ios && !p.standalone) return "ios-home-screen";
  if (!p.pushManager || !p.notification) return "unsupported";
  return "ok";
}

export function thisPlatform(): Platform {
  const nav = navigator as Navigator & { standalone?: boolean };
  return {
    userAgent: nav.userAgent,
    platform: nav.platform,
    maxTouchPoints: nav.maxTouchPoints,
    standalone: nav.standalone === true || matchMedia("(display-mode: standalone)").matches,
    pushManager: "PushManager" in globalThis && "serviceWorker" in nav,
    notification: "Notification" in globalThis,
  };
}

export const permission = signal<NotificationPermission>(
  "Notification" in globalThis ? Notification.permission : "default",
);

export class Denied extends Error {}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Ask the browser (only after the app explained why), then the push service, for a subscription. */
async function browserSubscription(): Promise<PushSubscriptionJSON> {
  const asked = await Notification.requestPermission();
  permission.value = asked;
  if (asked !== "granted") throw new Denied(asked);
  const registration = await navigator.serviceWorker.ready;
  const existing = await registration.pushManager.getSubscription();
  const made =
    existing ??
    (await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(await pushKey()),
    }));
  return made.toJSON();
}

function asBody(json: PushSubscriptionJSON) {
  return {
    endpoint: json.endpoint ?? "",
    keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
  };
}

/** Save My Areas: subscribes the first time, changes the subscription after. */
export async function save(settings: MyAreas): Promise<Saved> {
  const subscription = asBody(await browserSubscription());
  const before = saved.value;
  const body = { ...settings };
  if (before) {
    try {
      await changeSubscription(before.id, before.token, { ...body, subscription });
      const next = { ...before, ...settings };
      remember(next);
      await keepSetting("language", settings.languages[0]);
      return next;
    } catch (error) {
      // The push service dropped it (the server deleted it): subscribe afresh.
      if (!(error instanceof ApiError && (error.status === 404 || error.status === 403))) throw error;
    }
  }
  const created = await subscribe({ ...body, subscription });
  const next = { id: created.id, token: created.token, ...settings };
  remember(next);
  await keepSetting("language", settings.languages[0]);
  return next;
}

/** Stop: the server forgets everything, and the browser's subscription ends. */
export async function stop(): Promise<void> {
  const before = saved.value;
  if (before) {
    try {
      await unsubscribe(before.id, before.token);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
  const registration = await navigator.serviceWorker?.ready;
  await (await registration?.pushManager.getSubscription())?.unsubscribe();
  remember(null);
}

/** Family safety news on this browser, through the subscription My Areas made. */
export async function receiveFamilyNews(on: boolean): Promise<boolean> {
  const before = saved.value;
  if (!before) throw new Error("no push subscription on this browser");
  const answer = await familyNews(before.id, before.token, on);
  remember({ ...before, family: answer.family });
  return answer.family ?? false;
}

/** Move "where I am" to the phone's place (offline or refused: the next fix tries again). */
export async function moveHere(lat: number, lon: number): Promise<void> {
  const before = saved.value;
  const here = before?.areas.find((a) => a.here);
  if (!before || !here) return;
  const areas = before.areas.map((a) => (a === here ? hereArea(lat, lon, here.label ?? "") : a));
  try {
    await changeSubscription(before.id, before.token, { areas });
    remember({ ...before, areas });
  } catch {
    // Not told this time: the next place the app learns is compared with the old one again.
  }
}
