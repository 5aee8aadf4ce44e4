import { afterAll, describe, expect, it } from "vitest";
import { language, setLanguage } from "../../../i18n";
import { type Entry, entryText } from "./history";

const entry = (extra: Partial<Entry>): Entry =>
  ({ at: "2026-01-01T00:00:00+00:00", kind: "change", people: null, stay: null, care: {}, ...extra }) as Entry;
const BY = "staff@demo.bosai.example";

describe("a shelter's history says who changed what from what to what", () => {
  const before = language.value;
  afterAll(() => setLanguage(before));

  it("in Japanese", async () => {
    await setLanguage("ja");
    expect(entryText(entry({ field: "capacity", before: 40, after: 60, by: BY }))).toBe(
      `定員を 40 から 60 に変更（${BY}）`,
    );
    expect(entryText(entry({ field: "status", before: "open", after: "closed", by: BY }))).toBe(
      `開設状況を「開設中」から「閉鎖」に変更（${BY}）`,
    );
    expect(entryText(entry({ field: "pets", before: false, after: true, by: BY }))).toContain("「不可」から「可」");
    expect(entryText(entry({ field: "needs", before: {}, after: { sick: 3, suppliesShort: ["水", "毛布"] } }))).toBe(
      "ニーズ・事案を「—」から「不足: 水、毛布 / 体調不良 3 人」に変更",
    );
    expect(entryText(entry({ kind: "fill", field: "status", before: "crowded", after: "full" }))).toBe(
      "「混雑」から「満員」になりました",
    );
  });

  it("in English and in easy Japanese", async () => {
    await setLanguage("en");
    expect(entryText(entry({ field: "capacity", before: null, after: 60, by: BY }))).toBe(
      `Capacity changed from not set to 60 — by ${BY}`,
    );
    expect(entryText(entry({ kind: "fill", field: "status", before: "open", after: "crowded" }))).toBe(
      "Became Crowded (was Open)",
    );
    await setLanguage("easy");
    expect(entryText(entry({ field: "capacity", before: 4, after: 2, by: BY }))).toBe(
      `ていいんを 4 から 2 に かえた（${BY}）`,
    );
    expect(entryText(entry({ kind: "fill", field: "status", before: "open", after: "full" }))).toBe(
      "「あいています」から「いっぱいです」に なった",
    );
  });
});
