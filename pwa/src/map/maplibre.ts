import * as maplibregl from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url";
import "maplibre-gl/dist/maplibre-gl.css";
import { protocol } from "./protocol";

// The map library, loaded only by the screens that draw a map (a chunk of its own: the rest of the
// app paints and works before it arrives). Once per page: the worker MapLibre 6 cannot find by
// itself, and the pmtiles:// protocol of the offline packs.
maplibregl.setWorkerUrl(workerUrl);
maplibregl.addProtocol("pmtiles", protocol.tile);

export { maplibregl };
