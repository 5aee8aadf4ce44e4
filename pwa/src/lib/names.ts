// One language per screen: a place's name in the reader's language where the data has it — the
// English name, else its kana in Hepburn romaji — otherwise the Japanese, marked lang="ja" by
// the caller so that screen readers read it with a Japanese voice.
import { htmlLang, type Language } from "../i18n";

export interface Named {
  name: string;
  nameEn?: string | null;
  nameKana?: string | null;
}

/** A text and the language it is in (a BCP 47 tag; "ja-Latn" for romaji). */
export interface Shown {
  text: string;
  lang: string;
}

// Hepburn (as on road signs and passports: long vowels without macrons), by syllable. Katakana
// are read as hiragana first.
const MONO: Record<string, string> = {
  あ: "a", い: "i", う: "u", え: "e", お: "o",
  か: "ka", き: "ki", く: "ku", け: "ke", こ: "ko",
  さ: "sa", し: "shi", す: "su", せ: "se", そ: "so",
  た: "ta", ち: "chi", つ: "tsu", て: "te", と: "to",
  な: "na", に: "ni", ぬ: "nu", ね: "ne", の: "no",
  は: "ha", ひ: "hi", ふ: "fu", へ: "he", ほ: "ho",
  ま: "ma", み: "mi", む: "mu", め: "me", も: "mo",
  や: "ya", ゆ: "yu", よ: "yo",
  ら: "ra", り: "ri", る: "ru", れ: "re", ろ: "ro",
  わ: "wa", ゐ: "i", ゑ: "e", を: "o", ん: "n",
  が: "ga", ぎ: "gi", ぐ: "gu", げ: "ge", ご: "go",
  ざ: "za", じ: "ji", ず: "zu", ぜ: "ze", ぞ: "zo",
  だ: "da", ぢ: "ji", づ: "zu", で: "de", ど: "do",
  ば: "ba", び: "bi", ぶ: "bu", べ: "be", ぼ: "bo",
  ぱ: "pa", ぴ: "pi", ぷ: "pu", ぺ: "pe", ぽ: "po",
  ゔ: "vu", ぁ: "a", ぃ: "i", ぅ: "u", ぇ: "e", ぉ: "o",
}; // biome-ignore format: a table

// A syllable ending in i followed by a small ya/yu/yo: きゃ kya, しゃ sha, ちゃ cha, じゃ ja.
const SMALL: Record<string, string> = { ゃ: "a", ゅ: "u", ょ: "o" };
// Syllables with a small vowel (katakana loanwords): ファ fa, ティ ti, ジェ je …
const SMALL_VOWEL: Record<string, string> = { ぁ: "a", ぃ: "i", ぅ: "u", ぇ: "e", ぉ: "o" };

const toHiragana = (text: string) =>
  text.replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));

/** Kana in Hepburn romaji, capitalised: "ちゅうおうしょうがっこう" → "Chuoshogakko". Anything
 * not kana (spaces, digits, Latin letters) is kept; null when kanji are left (no reading known). */
export function romaji(kana: string): string | null {
  const text = toHiragana(kana.normalize("NFKC"));
  if (/[\u3400-\u9fff]/.test(text)) return null;
  const out: string[] = [];
  let double = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const next = text[i + 1] ?? "";
    if (c === "っ") {
      double = true;
      continue;
    }
    if (c === "ー") continue; // a long vowel, written without a macron
    let syllable = MONO[c];
    if (syllable === undefined) {
      out.push(c);
      double = false;
      continue;
    }
    if (next in SMALL && syllable.endsWith("i") && syllable.length > 1) {
      const stem = syllable.slice(0, -1);
      syllable = /^(sh|ch|j)$/.test(stem) ? stem + SMALL[next] : `${stem}y${SMALL[next]}`;
      i++;
    } else if (next in SMALL_VOWEL && syllable.length > 1 && c !== "ん") {
      syllable = syllable.slice(0, -1) + SMALL_VOWEL[next];
      i++;
    }
    if (double) {
      syllable = syllable.startsWith("ch") ? `t${syllable}` : (syllable[0] as string) + syllable;
      double = false;
    }
    const previous = out[out.length - 1] ?? "";
    // Long vowels as on signs: おう, おお → o, うう → u (Tōkyō → Tokyo).
    if (syllable === "u" && /[ou]$/.test(previous)) continue;
    if (c === "お" && previous.endsWith("o")) continue;
    // ん before a vowel or y: n' (Shin'osaka), so that it is not read as na, ni …
    if (previous === "n" && /^[aiueoy]/.test(syllable) && out.length > 0) out[out.length - 1] = "n'";
    out.push(syllable);
  }
  const joined = out.join("");
  return joined.charAt(0).toUpperCase() + joined.slice(1);
}

/** The name to show in a language, and the language it is in. */
export function localName(item: Named, language: Language): Shown {
  if (language !== "en") return { text: item.name, lang: "ja" };
  if (item.nameEn) return { text: item.nameEn, lang: "en" };
  const reading = item.nameKana ? romaji(item.nameKana) : null;
  if (reading) return { text: reading, lang: "ja-Latn" };
  return { text: item.name, lang: "ja" };
}

/** The lang attribute an element needs: none when it is the page's own language. */
export const langAttribute = (lang: string) => (lang === htmlLang.value ? undefined : lang);

const JAPANESE_SCRIPT = /[\u3040-\u30ff\u3400-\u9fff]/;

/** The lang attribute for text from the data (an address, a name as typed): Japanese when it is
 * written in Japanese script, on a page in another language. */
export const scriptLang = (text: string | null | undefined) =>
  text && JAPANESE_SCRIPT.test(text) ? langAttribute("ja") : undefined;
