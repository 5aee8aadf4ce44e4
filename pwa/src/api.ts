// A typed client of the Map API (server/*/schemas.py): the same shapes, camelCase.

export const HAZARD_TYPES = [
  "flood",
  "landslide",
  "storm_surge",
  "earthquake",
  "tsunami",
  "large_fire",
  "inland_flood",
  "volcano",
] as const;
export type HazardType = (typeof HAZARD_TYPES)[number];

export const FACILITY_KINDS = [
  "designated_shelter",
  "welfare_shelter",
  "emergency_site",
  "tsunami_building",
  "wide_area_site",
  "medical",
  "aed",
] as const;
export type FacilityKind = (typeof FACILITY_KINDS)[number];

export type Bbox = [west: number, south: number, east: number, north: number];

export interface Municipality {
  code: string;
  name: string;
  nameKana: string | null;
  nameEn: string | null;
  prefecture: string;
  bbox: Bbox | null;
  facilityCounts: Partial<Record<FacilityKind, number>>;
  pack: Record<string, unknown> | null;
}

export interface ShelterStatus {
  status: "open" | "crowded" | "full" | "closed";
  occupancy: number | null;
  capacity: number | null;
}

export interface FacilityProperties {
  id: string;
  municipality: string;
  kinds: FacilityKind[];
  name: string;
  nameKana: string | null;
  nameEn: string | null;
  address: string | null;
  capacity: number | null;
  capacityText: string | null;
  suitableHazards: HazardType[];
  sourceIds: string[];
  withdrawn: boolean;
  status: ShelterStatus | null;
}

export interface PointGeometry {
  type: "Point";
  coordinates: [lon: number, lat: number];
}

export interface Facility {
  type: "Feature";
  id: string;
  geometry: PointGeometry;
  properties: FacilityProperties;
}

export interface NearestFacility extends Facility {
  properties: FacilityProperties & { distanceM: number; walkingMinutes: number; insideHazardZone: boolean };
}

export interface Nearest {
  type: "FeatureCollection";
  features: NearestFacility[];
  origin: { lat: number; lon: number };
  hazard: HazardType | null;
  excludedInside: number;
  distanceMethod: string;
  note: string;
}

export interface HazardZoneAt {
  hazardType: HazardType;
  rankCode: string | null;
  rankLabel: string | null;
  depthMinM: number | null;
  depthMaxM: number | null;
  source: string;
  municipality: string | null;
  zoneId: string;
}

export interface HazardsAt {
  lat: number;
  lon: number;
  zones: HazardZoneAt[];
  note: string | null;
}

/** An answer other than 2xx: `status` 0 when the network failed. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }

  get offline(): boolean {
    return this.status === 0;
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export async function getJson<T>(path: string, fetcher: Fetch = fetch): Promise<T> {
  let response: Response;
  try {
    response = await fetcher(path, { headers: { Accept: "application/json" } });
  } catch (error) {
    throw new ApiError(0, error instanceof Error ? error.message : String(error));
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = (await response.json()) as { detail?: string };
      detail = problem.detail ?? detail;
    } catch {
      // not problem+json
    }
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}

/** POST a JSON body; the answer's JSON, or an ApiError (status 0 when the network failed). */
export async function postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, error instanceof Error ? error.message : String(error));
  }
  const answer = (await response.json().catch(() => ({}))) as T & { detail?: string };
  if (!response.ok) throw new ApiError(response.status, answer.detail ?? response.statusText);
  return answer;
}

const coordinates = (lat: number, lon: number) => `lat=${lat.toFixed(6)}&lon=${lon.toFixed(6)}`;

export const api = {
  municipalities: (f?: Fetch) =>
    getJson<{ municipalities: Municipality[] }>("/api/municipalities", f).then((r) => r.municipalities),
  facility: (id: string, f?: Fetch) => getJson<Facility>(`/api/facilities/${encodeURIComponent(id)}`, f),
  hazardsAt: (lat: number, lon: number, f?: Fetch) => getJson<HazardsAt>(`/api/hazards/at?${coordinates(lat, lon)}`, f),
  nearest: (lat: number, lon: number, hazard: HazardType | null, limit = 5, f?: Fetch) =>
    getJson<Nearest>(
      `/api/facilities/nearest?${coordinates(lat, lon)}&limit=${limit}${hazard ? `&hazard=${hazard}` : ""}`,
      f,
    ),
};

/** The vector tiles of every municipality (layers boundaries, hazards, facilities). */
export const TILE_URL = "/tiles/{z}/{x}/{y}.mvt";
