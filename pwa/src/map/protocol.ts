import { Protocol } from "pmtiles";

// The pmtiles:// protocol that reads the offline packs stored on the device. Kept apart from the
// map library (map/maplibre.ts registers it) so that storing a pack never loads MapLibre.
export const protocol = new Protocol();
