// Whether the network is there: the browser's word, and whether the server last answered.
import { computed, signal } from "@preact/signals";

export const browserOnline = signal(globalThis.navigator?.onLine ?? true);
export const serverReachable = signal(true);
export const offline = computed(() => !browserOnline.value || !serverReachable.value);

globalThis.addEventListener?.("online", () => {
  browserOnline.value = true;
  serverReachable.value = true;
});
globalThis.addEventListener?.("offline", () => {
  browserOnline.value = false;
});

/** A new service worker is waiting; `apply` reloads the page on it. */
export const update = signal<{ apply: () => void } | null>(null);
