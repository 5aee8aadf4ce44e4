import { describe, expect, it } from "vitest";
import type { Occupancy } from "../api";
import { careCount, filterShelters, NO_FILTER, sortShelters } from "./table";

const shelter = (name: string, people: number, capacity: number | null, extra: Partial<Occupancy> = {}): Occupancy =>
  ({
    shelterId: name,
    name,
    municipality: "029998",
    municipalityName: "見本市",
    event: "e",
    eventName: "x",
    status: "open",
    capacity,
    people,
    fill: capacity ? people / capacity : null,
    byStay: {},
    care: {},
    petsAccepted: false,
    needs: {},
    updatedAt: "2026-01-01T00:00:00+00:00",
    lat: 0,
    lon: 0,
    ...extra,
  }) as Occupancy;

const names = (list: Occupancy[]) => list.map((s) => s.name);

describe("the headquarters table", () => {
  const list = [
    shelter("あさひ小", 30, 40, { care: { wheelchair: 2, pets: 5 }, updatedAt: "2026-01-01T03:00:00+00:00" }),
    shelter("いずみ小", 10, 280, { municipality: "029980", municipalityName: "見本町", status: "crowded" }),
    shelter("うみ中", 30, null, { care: { infant: 1 }, updatedAt: "2026-01-01T05:00:00+00:00" }),
  ];

  it("sorts by people, fill, care needs and update, ties by name", () => {
    expect(names(sortShelters(list, { key: "people", descending: true }))).toEqual(["あさひ小", "うみ中", "いずみ小"]);
    expect(names(sortShelters(list, { key: "people", descending: false }))).toEqual(["いずみ小", "あさひ小", "うみ中"]);
    expect(names(sortShelters(list, { key: "fill", descending: true }))).toEqual(["あさひ小", "いずみ小", "うみ中"]);
    expect(names(sortShelters(list, { key: "care", descending: true }))).toEqual(["あさひ小", "うみ中", "いずみ小"]);
    expect(names(sortShelters(list, { key: "updated", descending: true }))).toEqual(["うみ中", "あさひ小", "いずみ小"]);
  });

  it("counts people with care needs, not pets", () => {
    expect(careCount(list[0] as Occupancy)).toBe(2);
  });

  it("filters by municipality, status and words of the name or the town", () => {
    expect(names(filterShelters(list, { ...NO_FILTER, municipality: "029980" }))).toEqual(["いずみ小"]);
    expect(names(filterShelters(list, { ...NO_FILTER, status: "open" }))).toEqual(["あさひ小", "うみ中"]);
    expect(names(filterShelters(list, { ...NO_FILTER, text: " 見本町 いずみ " }))).toEqual(["いずみ小"]);
    expect(filterShelters(list, NO_FILTER)).toHaveLength(3);
  });
});
