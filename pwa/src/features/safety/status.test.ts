import { describe, expect, it } from "vitest";
import { familyPath, fetchGroups, inviteLink } from "./api";
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

describe("the live group view's request", () => {
  it("sends the ETag it has, keeps the new one, and reads a 304 as 'unchanged'", async () => {
    const sent: (string | null)[] = [];
    const fetcher = (async (_url: string, init?: RequestInit) => {
      const etag = new Headers(init?.headers).get("If-None-Match");
      sent.push(etag);
      if (etag === '"v1"') return new Response(null, { status: 304 });
      return new Response(JSON.stringify({ groups: [] }), { status: 200, headers: { ETag: '"v1"' } });
    }) as typeof fetch;
    expect(await fetchGroups(null, fetcher)).toEqual({ groups: [], etag: '"v1"' });
    expect(await fetchGroups('"v1"', fetcher)).toBeNull();
    expect(sent).toEqual([null, '"v1"']);
  });

  it("turns a refused request into the server's problem detail, and a network failure into 'offline'", async () => {
    const refused = (async () =>
      new Response(JSON.stringify({ detail: "sign in first" }), { status: 401 })) as unknown as typeof fetch;
    await expect(fetchGroups(null, refused)).rejects.toMatchObject({ status: 401, detail: "sign in first" });
    const down = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch;
    await expect(fetchGroups(null, down)).rejects.toMatchObject({ status: 0 });
  });
});
