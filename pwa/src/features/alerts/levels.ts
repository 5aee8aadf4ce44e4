// 警戒レベル as the Cabinet Office defines them (内閣府 2020-05-29, 警戒レベルの一覧表の配色: the
// on-screen RGB values), with the text colour that reads on each. A level is never shown by its
// colour alone: the number and its words go with it.
import type { MessageKey } from "../../i18n";
import type { HazardType } from "../hazards/api";

export interface LevelColour {
  background: string;
  text: string;
}

export const LEVEL_COLOURS: Readonly<Record<1 | 2 | 3 | 4 | 5, LevelColour>> = {
  5: { background: "#0c000c", text: "#ffffff" }, // 黒 (RGB 12, 0, 12)
  4: { background: "#aa00aa", text: "#ffffff" }, // 紫 (RGB 170, 0, 170)
  3: { background: "#ff2800", text: "#000000" }, // 赤 (RGB 255, 40, 0): black text (white is 3.6:1)
  2: { background: "#f2e700", text: "#000000" }, // 黄 (RGB 242, 231, 0)
  1: { background: "#ffffff", text: "#000000" }, // 白 (with an outline)
};

export type Level = keyof typeof LEVEL_COLOURS;

export const isLevel = (level: number | null | undefined): level is Level =>
  level !== null && level !== undefined && level >= 1 && level <= 5;

export interface Classified {
  kind: string;
  level: number | null;
  action: string;
  cancelled?: boolean;
}

/** What to do, in the reader's language: from the kind and level, never from free text. */
export function actionKey(alert: Classified): MessageKey {
  if (alert.action === "cancel") return "alerts.do.lifted";
  if (alert.kind === "tsunami") return "alerts.do.tsunami";
  if (alert.kind === "earthquake") return "alerts.do.earthquake";
  if (alert.kind === "shelter") return "alerts.do.shelter";
  if (isLevel(alert.level)) return `alerts.do.level${alert.level}`;
  return "alerts.do.other";
}

/** The badge's words: "警戒レベル4" (with the level's name), or the kind for alerts without one. */
export function badgeKey(alert: Classified): MessageKey {
  if (alert.action === "cancel") return "alerts.badge.lifted";
  if (isLevel(alert.level) && alert.kind !== "earthquake") return `alerts.level${alert.level}`;
  return `alerts.kind.${kindKey(alert.kind)}`;
}

const KINDS = ["evacuation", "warning", "advisory", "landslide", "flood", "earthquake", "tsunami", "shelter"] as const;
export type AlertKind = (typeof KINDS)[number];
export const ALERT_KINDS: readonly AlertKind[] = KINDS;
const kindKey = (kind: string): AlertKind =>
  (KINDS as readonly string[]).includes(kind) ? (kind as AlertKind) : "warning";

/** The hazard "nearest" should avoid for an alert's hazard: shelters suitable for it (null: the
 * hazards where the resident is, when the alert's hazard is not one shelters are designated for). */
export function shelterHazard(hazard: string): HazardType | null {
  switch (hazard) {
    case "flood":
    case "inland_flood":
    case "landslide":
    case "storm_surge":
    case "tsunami":
    case "earthquake":
    case "volcano":
      return hazard;
    case "fire":
    case "large_fire":
      return "large_fire";
    case "high_waves":
      return "storm_surge";
    default:
      return null;
  }
}

/** The Web Speech language of an alert's text. */
export const speechLang = (language: string): string => (language === "en" ? "en-US" : "ja-JP");

/** The subscription's language for the app's language ("easy" is やさしい日本語). */
export const pushLanguage = (language: string): "ja" | "en" | "ja-easy" =>
  language === "en" ? "en" : language === "easy" ? "ja-easy" : "ja";
