import { describe, expect, it } from "vitest";
import { localName, romaji } from "./names";

describe("romaji (Hepburn, long vowels as on signs)", () => {
  it.each([
    ["しんまち", "Shinmachi"],
    ["かわら", "Kawara"],
    ["ちゅうおうしょうがっこう", "Chuoshogakko"],
    ["きょうと", "Kyoto"],
    ["ほっかいどう", "Hokkaido"],
    ["しんおおさか", "Shin'osaka"],
    ["まっちゃ", "Matcha"],
    ["じゅんいち", "Jun'ichi"],
    ["ふじさん", "Fujisan"],
    ["つなみひなんびる", "Tsunamihinanbiru"],
    ["ミホンシ", "Mihonshi"],
    ["コミュニティセンター", "Komyunitisenta"],
    ["ジェイアール", "Jeiaru"],
    ["ぢづ", "Jizu"],
  ])("%s → %s", (kana, latin) => {
    expect(romaji(kana)).toBe(latin);
  });

  it("gives up where kanji are left", () => {
    expect(romaji("見本まち")).toBeNull();
  });
});

describe("localName", () => {
  const school = { name: "東小学校", nameKana: "ひがししょうがっこう", nameEn: "Higashi Elementary School" };
  it("shows the English name to readers of English", () => {
    expect(localName(school, "en")).toEqual({ text: "Higashi Elementary School", lang: "en" });
  });
  it("romanises the kana where there is no English name", () => {
    expect(localName({ ...school, nameEn: null }, "en")).toEqual({ text: "Higashishogakko", lang: "ja-Latn" });
  });
  it("keeps the Japanese, as Japanese, where there is neither", () => {
    expect(localName({ name: "見本町" }, "en")).toEqual({ text: "見本町", lang: "ja" });
  });
  it("shows the Japanese name in Japanese and easy Japanese", () => {
    expect(localName(school, "ja").text).toBe("東小学校");
    expect(localName(school, "easy").text).toBe("東小学校");
  });
});
