// The packs feature's calls (server/packs).
import { getJson } from "../../api/client";

// The server does not declare the pack list's shape yet (GET /api/packs answers untyped objects):
// this is server/packs' manifest, by hand.
export interface PackManifest {
  municipality: string;
  name: string;
  version: number;
  builtAt: string;
  dataAsOf: string | null;
  url: string;
  bytes: number;
  sha256: string;
  bbox: [number, number, number, number];
  minZoom: number;
  maxZoom: number;
  layers: string[];
  tileCount: number;
  facilities: { url: string; bytes: number; sha256: string; count: number };
}

/** The packs the server offers for download. */
export const packList = () => getJson<{ packs: PackManifest[] }>("/api/packs");
