/// <reference lib="webworker" />
// Our service worker (vite-plugin-pwa injectManifest): the app shell precached, the Map API's
// last answers and the tiles kept for offline use. Offline map packs (.pmtiles) are never
// precached nor routed here: the app stores them itself.
import { clientsClaim } from "workbox-core";
import { ExpirationPlugin } from "workbox-expiration";
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { CacheFirst, NetworkFirst, StaleWhileRevalidate } from "workbox-strategies";

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

// Map API answers: fresh when the network answers within 4 s, else the last one seen.
registerRoute(
  ({ url, request }) =>
    request.method === "GET" && url.origin === self.location.origin && url.pathname.startsWith("/api/"),
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
