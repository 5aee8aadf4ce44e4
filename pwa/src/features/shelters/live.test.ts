import { describe, expect, it } from "vitest";
import type { Occupancy } from "./api";
import { applyLive, totals } from "./live";

const shelter = (id: string, town: string, people: number, care: Partial<Occupancy["care"]> = {}): Occupancy =>
  ({
    shelterId: id,
    name: `避難所${id}`,
    municipality: town,
    event: "e1",
    status: "open",
    capacity: 10,
    people,
    care,
  }) as Occupancy;

describe("the dashboard's live list and totals", () => {
  it("replaces the shelter a live event carries, and adds one opened since", () => {
    const list = [shelter("a", "029998", 1), shelter("c", "029998", 2)];
    const updated = applyLive(list, shelter("a", "029998", 5));
    expect(updated.map((s) => [s.shelterId, s.people])).toEqual([
      ["a", 5],
      ["c", 2],
    ]);
    expect(applyLive(updated, shelter("b", "029998", 1)).map((s) => s.shelterId)).toEqual(["a", "b", "c"]);
  });

  it("sums people, capacity and care needs per municipality and overall", () => {
    const sums = totals([
      shelter("a", "029998", 3, { wheelchair: 1 }),
      shelter("b", "029980", 4, { wheelchair: 2, infant: 1 }),
      { ...shelter("c", "029980", 0), status: "closed" },
    ]);
    expect(sums.all).toEqual({ shelters: 3, open: 2, people: 7, capacity: 30, care: { wheelchair: 3, infant: 1 } });
    expect(sums.municipalities["029980"]?.people).toBe(4);
  });
});
