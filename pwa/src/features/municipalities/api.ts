// The municipalities feature's calls (server/municipalities).
import { type Fetch, getJson, type Schemas } from "../../api/client";

export type Bbox = [west: number, south: number, east: number, north: number];
export type Municipality = Schemas["MunicipalitySummary"];

export const municipalities = (f?: Fetch) =>
  getJson<Schemas["MunicipalityList"]>("/api/municipalities", f).then((r) => r.municipalities);
