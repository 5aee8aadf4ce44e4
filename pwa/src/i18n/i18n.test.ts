import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  initialLanguage,
  LANGUAGES,
  type Language,
  loadLanguage,
  type MessageKey,
  type Messages,
  translate,
} from "./index";

const MESSAGES = {} as Record<Language, Messages>;
beforeAll(async () => {
  for (const lang of LANGUAGES) MESSAGES[lang] = await loadLanguage(lang);
});

const SRC = join(import.meta.dirname, "..");

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return name === "i18n" ? [] : sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

describe("translations", () => {
  const keys = () => Object.keys(MESSAGES.ja).sort();

  it.each(LANGUAGES)("%s has every key, none empty", (lang) => {
    expect(Object.keys(MESSAGES[lang]).sort()).toEqual(keys());
    for (const key of keys()) expect(MESSAGES[lang][key as MessageKey].trim(), `${lang} ${key}`).not.toBe("");
  });

  it.each(LANGUAGES)("%s keeps the placeholders of Japanese", (lang) => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of keys() as MessageKey[]) {
      expect(placeholders(MESSAGES[lang][key]), `${lang} ${key}`).toEqual(placeholders(MESSAGES.ja[key]));
    }
  });

  it("every key the code asks for exists (literal keys and families by prefix)", () => {
    const used = new Set<string>();
    const prefixes = new Set<string>();
    for (const file of sources(SRC)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bt\(\s*"([\w.]+)"/g)) used.add(m[1] as string);
      for (const m of text.matchAll(/\bt\(\s*`([\w.]+)\$\{/g)) prefixes.add(m[1] as string);
    }
    expect(used.size).toBeGreaterThan(40);
    for (const key of used) expect(keys(), key).toContain(key);
    for (const prefix of prefixes)
      expect(
        keys().some((k) => k.startsWith(prefix)),
        prefix,
      ).toBe(true);
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(translate("en", "nearest.distance", { distance: "850 m", minutes: 12 })).toBe("850 m, 12 min walk");
    expect(translate("ja", "sheet.capacityValue", { count: 280 })).toBe("280人");
    expect(translate("en", "sheet.capacityValue")).toBe("{count} people");
  });

  it("chooses Japanese for Japanese browsers, English otherwise, and the remembered choice first", () => {
    expect(initialLanguage(null, ["ja-JP", "en"])).toBe("ja");
    expect(initialLanguage(null, ["en-US", "ja"])).toBe("ja");
    expect(initialLanguage(null, ["vi-VN"])).toBe("en");
    expect(initialLanguage("easy", ["en-US"])).toBe("easy");
    expect(initialLanguage("klingon", ["ja"])).toBe("ja");
  });
});
