import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url";

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
