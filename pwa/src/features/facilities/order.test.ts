import { describe, expect, it } from "vitest";
import { type NearestFacility, nearerButFull, openFirst, type ShelterStatus, shownCapacity } from "./api";

function place(id: string, distanceM: number, status: ShelterStatus["status"] | null, capacity = 100): NearestFacility {
  return {
    type: "Feature",
    id,
    geometry: { type: "Point", coordinates: [140.76, 40.8] },
    properties: {
      id,
      municipality: "029998",
      kinds: ["designated_shelter"],
      name: id,
      nameKana: null,
      nameEn: null,
      address: null,
      capacity: 280,
      capacityText: null,
      suitableHazards: [],
      sourceIds: [],
      names: [id],
      targetGroups: [],
      withdrawn: false,
      status: status === null ? null : { status, occupancy: 10, capacity },
      distanceM,
      walkingMinutes: Math.ceil(distanceM / 66.7),
      insideHazardZone: false,
    },
  };
}

describe("nearest shelters, open ones first", () => {
  it("puts open shelters first, then crowded, then places not operated, then full and closed; each by distance", () => {
    const list = [
      place("crowded-near", 200, "crowded"),
      place("full-nearest", 100, "full"),
      place("site", 150, null),
      place("open-far", 900, "open"),
      place("closed", 120, "closed"),
      place("open-mid", 500, "open"),
    ];
    expect(openFirst(list).map((f) => f.id)).toEqual([
      "open-mid",
      "open-far",
      "crowded-near",
      "site",
      "full-nearest",
      "closed",
    ]);
    // The answer as the server gave it is left alone.
    expect(list[0]?.id).toBe("crowded-near");
  });

  it("orders by the walk along the roads when it is known, places the roads do not reach last", () => {
    const walk = (f: NearestFacility, walkingDistanceM: number | null) => ({
      ...f,
      properties: { ...f.properties, walkingDistanceM, walkingRouteMinutes: null },
    });
    const list = [
      walk(place("across-the-river", 200, null), 800),
      walk(place("unreached", 250, null), null),
      walk(place("by-the-bridge", 335, null), 450),
    ];
    expect(openFirst(list).map((f) => f.id)).toEqual(["by-the-bridge", "across-the-river", "unreached"]);
  });

  it("says which full or closed shelters are nearer than the first one proposed", () => {
    const list = [place("full", 100, "full"), place("open", 400, "open"), place("full-far", 900, "full")];
    expect(nearerButFull(list).map((f) => f.id)).toEqual(["full"]);
    expect(nearerButFull([place("open", 400, "open"), place("full-far", 900, "full")])).toEqual([]);
    expect(nearerButFull([])).toEqual([]);
  });

  it("without live status (an offline pack) keeps the distance order", () => {
    const list = [place("b", 300, null), place("a", 100, null), place("c", 200, null)];
    expect(openFirst(list).map((f) => f.id)).toEqual(["a", "c", "b"]);
  });

  it("shows one capacity: the operating one while open, else the facility's", () => {
    expect(shownCapacity(place("x", 1, "crowded", 40).properties)).toBe(40);
    expect(shownCapacity(place("x", 1, "closed", 40).properties)).toBe(280);
    expect(shownCapacity(place("x", 1, null).properties)).toBe(280);
  });
});
