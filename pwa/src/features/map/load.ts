import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url";
import { sketchSettled } from "../../map/state";

type MapViewModule = typeof import("./MapView");
let loading: Promise<MapViewModule> | undefined;

/** The map screen's code, asked for once. MapLibre's worker (about 120 KB) is fetched at the same
 * time: MapLibre asks for it only once its own 230 KB have arrived and run, which cost a weak
 * signal seconds. Read to the end so the HTTP cache keeps it for the worker's own request. */
export function loadMapView(): Promise<MapViewModule> {
  if (loading === undefined) {
    void fetch(workerUrl, { priority: "low" })
      .then((answer) => answer.arrayBuffer())
      .catch(() => undefined);
    loading = import("./MapView");
  }
  return loading;
}

/** The map's code once the page has loaded, whichever screen is open: the map must work offline
 * later even if the service worker had not finished storing the app before the network went. On
 * the map screen, after its sketch (rendered with the page, so already in the document). */
export function prefetchMapView(): void {
  const start = () => void loadMapView().catch(() => undefined); // the map screen says what failed
  addEventListener(
    "load",
    () => {
      if (!document.querySelector("canvas.sketch")) return start();
      const stop = sketchSettled.subscribe((settled) => {
        if (!settled) return;
        queueMicrotask(() => stop());
        start();
      });
    },
    { once: true },
  );
}
