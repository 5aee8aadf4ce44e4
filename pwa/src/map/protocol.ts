import * as maplibregl from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url";
import { Protocol } from "pmtiles";

// Once per page: the worker MapLibre 6 cannot find by itself, and the pmtiles:// protocol that
// reads the offline packs stored on the device.
maplibregl.setWorkerUrl(workerUrl);
export const protocol = new Protocol();
maplibregl.addProtocol("pmtiles", protocol.tile);
