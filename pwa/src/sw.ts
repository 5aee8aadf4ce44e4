/// <reference lib="webworker" />
// Our service worker (vite-plugin-pwa injectManifest): the app shell precached, the Map API's
// last answers and the tiles kept for offline use. Offline map packs (.pmtiles) are never
// precached nor routed here: the app stores them itself.
import { clientsClaim } from "workbox-core";
import { ExpirationPlugin } from "workbox-expiration";
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { CacheFirst, NetworkFirst, StaleWhileRevalidate } from "workbox-strategies";
import { keepAlert, setting } from "./features/alerts/inbox";

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);
clientsClaim();

self.addEventListener("message", (event) => {
  if ((event.data as { type?: string } | null)?.type === "SKIP_WAITING") void self.skipWaiting();
});

// Every page of the app is index.html (hash routes); server paths are not pages.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL("/index.html"), {
    denylist: [/^\/api\//, /^\/tiles\//, /^\/schema/, /^\/healthz/, /^\/readyz/, /\.pmtiles$/],
  }),
);

// Map API answers: fresh when the network answers within 4 s, else the last one seen. Never an
// inquiry about someone else: asked without an account, often on a borrowed or shared phone.
registerRoute(
  ({ url, request }) =>
    request.method === "GET" &&
    url.origin === self.location.origin &&
    url.pathname.startsWith("/api/") &&
    !url.pathname.startsWith("/api/safety/inquiry"),
  new NetworkFirst({
    cacheName: "bosai-api",
    networkTimeoutSeconds: 4,
    plugins: [new ExpirationPlugin({ maxEntries: 500, maxAgeSeconds: 14 * 24 * 3600 })],
  }),
);

// Vector tiles: shown at once from the cache, refreshed behind.
registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/tiles/"),
  new StaleWhileRevalidate({
    cacheName: "bosai-tiles",
    plugins: [new ExpirationPlugin({ maxEntries: 3000, maxAgeSeconds: 30 * 24 * 3600 })],
  }),
);

// Hashed assets not precached (the staff screens' QR reader and its .wasm): kept once fetched, so
// a staff device that opened the scanner online still scans offline.
registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/assets/"),
  new CacheFirst({ cacheName: "bosai-assets", plugins: [new ExpirationPlugin({ maxEntries: 20 })] }),
);

// Alerts. A push carries the alert's id, kind, level and headline already in the subscriber's
// language (the server made it from the alert's structure); the notification says it, and the
// inbox keeps it so that it can be read again offline.
interface AlertPush {
  alertId: string;
  kind: string;
  level: number | null;
  headline: string;
  action?: string;
  status?: string;
}

// The notification's second line, in the language the subscriber chose first.
const OPEN_WORDS: Record<string, string> = {
  ja: "タップして詳しく見る（何をすればよいか・近くの避難所）",
  en: "Tap for what to do and the nearest shelters",
  "ja-easy": "ここを おして ください。どうするか・ちかくの ひなんじょ が わかります。",
};
const LEVEL_WORDS: Record<string, (level: number) => string> = {
  ja: (level) => `警戒レベル${level}`,
  en: (level) => `Alert level ${level}`,
  "ja-easy": (level) => `レベル${level}`,
};

const alertPath = (id: string) => `/#/resident/alerts/${encodeURIComponent(id)}`;

// Family safety news: who and how in one line (never their message or place), opening the family
// screen; not kept in the alerts inbox.
interface FamilyPush {
  kind: "family";
  headline: string;
  url: string;
  lang?: string;
}

function showFamily(news: FamilyPush): Promise<void> {
  return self.registration.showNotification(news.headline, {
    lang: news.lang === "en" ? "en" : "ja",
    tag: "family",
    data: { url: "/#/resident/family" },
    icon: "/icons/icon-192.png",
  });
}

self.addEventListener("push", (event) => {
  let data: AlertPush | FamilyPush | null = null;
  try {
    data = event.data?.json() as AlertPush | FamilyPush;
  } catch {
    data = null;
  }
  if (data?.kind === "family" && data.headline) {
    event.waitUntil(showFamily(data as FamilyPush));
    return;
  }
  if (!data || !("alertId" in data) || !data.alertId || !data.headline) return;
  const alert = data;
  event.waitUntil(
    (async () => {
      const language = (await setting<string>("language")) ?? "ja";
      await keepAlert({
        id: alert.alertId,
        kind: alert.kind,
        level: alert.level,
        headline: alert.headline,
        action: alert.action ?? "issue",
        status: alert.status,
      });
      const level =
        alert.level && alert.kind !== "earthquake"
          ? `${(LEVEL_WORDS[language] ?? LEVEL_WORDS.ja)?.(alert.level)} `
          : "";
      await self.registration.showNotification(alert.headline, {
        body: `${level}${OPEN_WORDS[language] ?? OPEN_WORDS.ja}`,
        lang: language === "en" ? "en" : "ja",
        tag: `alert-${alert.kind}-${alert.alertId}`,
        // Level 5 and tsunami: stays until the resident reads it.
        requireInteraction: (alert.level ?? 0) >= 5 || alert.kind === "tsunami",
        data: { alertId: alert.alertId },
        icon: "/icons/icon-192.png",
      });
      for (const client of await self.clients.matchAll({ type: "window" })) {
        client.postMessage({ type: "ALERT_RECEIVED", alertId: alert.alertId });
      }
    })(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data as { alertId?: string; url?: string } | null;
  if (data?.url) {
    event.waitUntil(self.clients.openWindow(new URL(data.url, self.location.origin).href).then(() => undefined));
    return;
  }
  const id = data?.alertId;
  const target = new URL(id ? alertPath(id) : "/#/resident/alerts", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows[0];
      if (open) {
        // The open app changes its own route (a navigation would reload it).
        open.postMessage({ type: "OPEN_ALERT", alertId: id ?? null });
        await open.focus();
        return;
      }
      await self.clients.openWindow(target);
    })(),
  );
});
