import { describe, expect, it } from "vitest";
import type { Household, Member } from "./api";
import { matchingGroups, memberNeeds } from "./welfare";

const TODAY = new Date("2026-11-29T12:00:00");

function household(...members: Member[]): Household {
  return {
    members,
    pets: [],
    emergencyContact: null,
    home: null,
    work: null,
    consents: { shareStatusWithFamily: false, answerSafetyInquiries: false },
  };
}

function member(changes: Partial<Member["careNeeds"]>, birthDate: string | null = null): Member {
  const careNeeds: Member["careNeeds"] = {
    mobility: "walks",
    disability: null,
    illness: null,
    medication: null,
    allergy: null,
    pregnancy: false,
    infant: false,
    languageNeeds: null,
    notes: null,
    ...changes,
  };
  return {
    id: null,
    name: "見本 花子",
    kana: null,
    relationship: "self",
    birthDate,
    sex: "unspecified",
    careNeeds,
    skills: [],
  };
}

describe("welfare shelters and a household's needs", () => {
  it("counts 65 from the birthday", () => {
    expect(memberNeeds(member({}, "1961-11-29"), TODAY).has("aged65")).toBe(true);
    expect(memberNeeds(member({}, "1961-11-30"), TODAY).has("aged65")).toBe(false);
  });

  it("matches a nursing home to an older member and a day-service centre to a wheelchair user", () => {
    const home = ["elderly"];
    const centre = ["disability_physical", "disability_intellectual"];
    const grandmother = household(member({}, "1940-04-01"));
    expect(matchingGroups(home, grandmother, TODAY)).toEqual(["elderly"]);
    expect(matchingGroups(centre, grandmother, TODAY)).toEqual([]);
    const wheelchair = household(member({ mobility: "wheelchair" }, "1990-01-01"));
    expect(matchingGroups(centre, wheelchair, TODAY)).toEqual(["disability_physical"]);
    expect(matchingGroups(home, wheelchair, TODAY)).toEqual([]);
  });

  it("matches pregnancy and babies, and nothing for a household without care needs", () => {
    const groups = ["pregnant", "infant", "medical_care"];
    expect(matchingGroups(groups, household(member({ pregnancy: true, infant: true })), TODAY)).toEqual([
      "pregnant",
      "infant",
    ]);
    expect(matchingGroups(groups, household(member({}, "1990-01-01")), TODAY)).toEqual([]);
    expect(matchingGroups(["外国人"], household(member({ languageNeeds: "English" })), TODAY)).toEqual([]);
  });
});
