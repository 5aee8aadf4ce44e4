import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import type { Facility, Nearest } from "../features/facilities/api";
import type { HazardsAt } from "../features/hazards/api";
import { type Answers, type MaybeAnswers, onlineFirst } from "./answers";
import { serverAnswers } from "./server";

const here = { lat: 40.8, lon: 140.76 };

const fromPack: Facility = {
  type: "Feature",
  id: "f1",
  geometry: { type: "Point", coordinates: [140.76, 40.8] },
  properties: {
    id: "f1",
    municipality: "02201",
    kinds: ["designated_shelter"],
    name: "Pack School",
    nameKana: null,
    nameEn: null,
    address: null,
    capacity: null,
    capacityText: null,
    suitableHazards: ["flood"],
    sourceIds: [],
    names: ["Pack School"],
    targetGroups: [],
    withdrawn: false,
    status: null,
  },
};
const packNearest: Nearest = {
  type: "FeatureCollection",
  features: [],
  origin: here,
  hazard: null,
  excludedInside: 0,
  distanceMethod: "sphere",
  note: "offline pack",
  avoidedHazards: [],
  zonesHere: [],
  liveStatus: false,
};
const packHazards: HazardsAt = { ...here, zones: [], note: null };

/** A stored pack that answers everything, and records what it was asked. */
function pack(answers: Partial<MaybeAnswers> = {}) {
  const asked: string[] = [];
  const source: MaybeAnswers = {
    facility: async (id) => {
      asked.push(`facility ${id}`);
      return fromPack;
    },
    nearestShelters: async () => {
      asked.push("nearest");
      return packNearest;
    },
    hazardsAt: async () => {
      asked.push("hazards");
      return packHazards;
    },
    ...answers,
  };
  return { asked, source };
}

function server(failure: ApiError): Answers {
  const fail = async () => {
    throw failure;
  };
  return { facility: fail, nearestShelters: fail, hazardsAt: fail };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("answers, online first", () => {
  it("answers from the stored pack when the server cannot be reached, and says so", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    const { asked, source } = pack();
    let unreachable = 0;
    const answers = onlineFirst(serverAnswers, source, () => unreachable++);

    expect(await answers.facility("f1")).toBe(fromPack);
    expect(await answers.nearestShelters(here, { hazard: "flood" })).toBe(packNearest);
    expect(await answers.hazardsAt(here)).toBe(packHazards);
    expect(asked).toEqual(["facility f1", "nearest", "hazards"]);
    expect(unreachable).toBe(3);
  });

  it("gives the server's answer when there is one, without asking the pack", async () => {
    const online: Answers = {
      facility: async () => ({ ...fromPack, id: "online" }),
      nearestShelters: async () => ({ ...packNearest, note: "server" }),
      hazardsAt: async () => ({ ...packHazards, note: "server" }),
    };
    const { asked, source } = pack();
    const answers = onlineFirst(online, source, () => {
      throw new Error("the server was reached");
    });
    expect((await answers.facility("f1")).id).toBe("online");
    expect((await answers.nearestShelters(here, { hazard: null })).note).toBe("server");
    expect((await answers.hazardsAt(here)).note).toBe("server");
    expect(asked).toEqual([]);
  });

  it("keeps the server's refusal: a 404 is not answered from the pack", async () => {
    const { asked, source } = pack();
    const answers = onlineFirst(server(new ApiError(404, "no facility f9")), source, () => undefined);
    await expect(answers.facility("f9")).rejects.toMatchObject({ status: 404, detail: "no facility f9" });
    expect(asked).toEqual([]);
  });

  it("keeps the network error when no stored pack has the answer", async () => {
    const { source } = pack({ hazardsAt: async () => null, facility: async () => null });
    const answers = onlineFirst(server(new ApiError(0, "Failed to fetch")), source, () => undefined);
    const error = await answers.hazardsAt(here).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).offline).toBe(true);
    await expect(answers.facility("nowhere")).rejects.toBeInstanceOf(ApiError);
  });

  it("passes the place and the options through to the pack", async () => {
    const seen: unknown[] = [];
    const { source } = pack({
      nearestShelters: async (point, options) => {
        seen.push(point, options);
        return packNearest;
      },
    });
    const answers = onlineFirst(server(new ApiError(0, "offline")), source, () => undefined);
    await answers.nearestShelters(here, { hazard: "tsunami", limit: 3 });
    expect(seen).toEqual([here, { hazard: "tsunami", limit: 3 }]);
  });
});
