import { describe, expect, it } from "vitest";
import { familyPath, inviteLink } from "./api";
import { charactersLeft, needsAttention, statusWords } from "./status";

describe("family safety status", () => {
  it("names the shelter of 'at shelter' and 'left shelter', and says a plain status in words", () => {
    expect(statusWords({ status: "at_shelter", shelterName: "中央小学校" })).toEqual({
      key: "family.status.atShelter",
      params: { shelter: "中央小学校" },
    });
    expect(statusWords({ status: "left_shelter", shelterName: null }).key).toBe("family.status.leftAShelter");
    expect(statusWords({ status: "needs_help", shelterName: null }).key).toBe("family.status.needs_help");
    expect(needsAttention("injured") && needsAttention("needs_help") && !needsAttention("safe")).toBe(true);
  });

  it("counts a message's characters as the server does (an emoji is one)", () => {
    expect(charactersLeft("無事です😀", 200)).toBe(195);
  });

  it("reads the join link's code and the inquiry page from the hash, and builds the whole invite link", () => {
    expect(familyPath("#/resident/family/join/abc_DEF-123")).toEqual(["join", "abc_DEF-123"]);
    expect(familyPath("#/resident/family/inquiry")).toEqual(["inquiry"]);
    expect(familyPath("#/resident/family")).toEqual([]);
    expect(familyPath("#/resident/map/join/x")).toEqual([]);
    const invite = { code: "c", url: "/#/resident/family/join/c", expiresAt: "", usesLeft: 10, qrSvg: null };
    expect(inviteLink(invite, "https://bosai.example.jp")).toBe("https://bosai.example.jp/#/resident/family/join/c");
  });
});
