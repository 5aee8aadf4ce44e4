import { computed, signal } from "@preact/signals";
import { ja, type MessageKey } from "./ja";

export type Language = "ja" | "en" | "easy";
export const LANGUAGES: readonly Language[] = ["ja", "en", "easy"];
export type Messages = Record<MessageKey, string>;
export type { MessageKey };

// Japanese is in the shell; English and easy Japanese are chunks of their own, fetched when chosen
// (the service worker keeps them all for offline): a first visit carries only what it reads.
const LOADERS: Record<Language, () => Promise<Messages>> = {
  ja: async () => ja,
  en: () => import("./en").then((m) => m.en),
  easy: () => import("./easy").then((m) => m.easy),
};
const loaded: Partial<Record<Language, Messages>> = { ja };

/** The language's messages, fetched once. Until they have arrived its text is Japanese. */
export async function loadLanguage(lang: Language): Promise<Messages> {
  const messages = loaded[lang] ?? (await LOADERS[lang]());
  loaded[lang] = messages;
  return messages;
}

const STORAGE_KEY = "bosai.language";

/** The remembered choice, else Japanese for Japanese browsers, else English. */
export function initialLanguage(stored: string | null, browser: readonly string[]): Language {
  if (stored !== null && (LANGUAGES as readonly string[]).includes(stored)) return stored as Language;
  return browser.some((tag) => tag.toLowerCase().startsWith("ja")) ? "ja" : "en";
}

function readStored(): string | null {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

export const language = signal<Language>(initialLanguage(readStored(), globalThis.navigator?.languages ?? []));

/** Switches once the language's messages are here (they are a chunk of their own). */
export async function setLanguage(next: Language): Promise<void> {
  await loadLanguage(next).catch(() => undefined); // offline without them: Japanese meanwhile
  language.value = next;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, next);
  } catch {
    // private mode: the choice lasts this visit
  }
}

/** The message in a language, with {name} placeholders filled. */
export function translate(lang: Language, key: MessageKey, params: Record<string, string | number> = {}): string {
  return (loaded[lang] ?? ja)[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return translate(language.value, key, params);
}

/** The BCP 47 tag of the page: easy Japanese is Japanese. */
export const htmlLang = computed(() => (language.value === "en" ? "en" : "ja"));

/** The message with some placeholders filled by nodes (a name marked with its own language) and
 * the others by strings, as a list to render. */
export function tParts<T>(key: MessageKey, params: Record<string, string | number>, slots: Record<string, T>) {
  const parts: (string | T)[] = [];
  for (const [i, piece] of t(key, params)
    .split(/\{(\w+)\}/)
    .entries()) {
    if (i % 2 === 0) {
      if (piece) parts.push(piece);
    } else parts.push(piece in slots ? (slots[piece] as T) : `{${piece}}`);
  }
  return parts;
}
