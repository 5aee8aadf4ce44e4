import { describe, expect, it } from "vitest";
import { facility, nearest } from "../features/facilities/api";
import { hazardsAt } from "../features/hazards/api";
import { municipalities } from "../features/municipalities/api";
import { ApiError } from "./client";

const api = { facility, nearest, hazardsAt, municipalities };

function recorder(status = 200, body: unknown = {}) {
  const urls: string[] = [];
  const fetcher = async (url: string) => {
    urls.push(url);
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  };
  return { urls, fetcher };
}

describe("api client", () => {
  it("asks the Map API with the parameters it takes", async () => {
    const { urls, fetcher } = recorder(200, { municipalities: [], zones: [], features: [] });
    await api.hazardsAt(40.8, 140.76, fetcher);
    await api.nearest(40.8, 140.76, "tsunami", 5, fetcher);
    await api.nearest(40.8, 140.76, null, 3, fetcher);
    await api.facility("a b", fetcher);
    expect(urls).toEqual([
      "/api/hazards/at?lat=40.800000&lon=140.760000",
      "/api/facilities/nearest?lat=40.800000&lon=140.760000&limit=5&hazard=tsunami",
      "/api/facilities/nearest?lat=40.800000&lon=140.760000&limit=3",
      "/api/facilities/a%20b",
    ]);
  });

  it("turns problem+json into an error with its detail, and a network failure into offline", async () => {
    const { fetcher } = recorder(404, { title: "Not found", detail: "no facility abc" });
    await expect(api.facility("abc", fetcher)).rejects.toMatchObject({ status: 404, detail: "no facility abc" });
    const down = async () => {
      throw new TypeError("Failed to fetch");
    };
    const error = await api.municipalities(down).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).offline).toBe(true);
  });
});
