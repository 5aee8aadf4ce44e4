// The packs feature's calls (server/packs).
import { getJson, type Schemas } from "../../api/client";

/** An offline pack: its archive and facility list, their sizes and digests, what it covers. */
export type PackManifest = Schemas["PackManifest"];

/** The packs the server offers for download. */
export const packList = () => getJson<Schemas["PackList"]>("/api/packs");
