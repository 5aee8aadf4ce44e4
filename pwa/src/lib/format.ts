import { language, t } from "../i18n";

/** 850 → "850m", 1234 → "1.2km" (in the reader's language). */
export function distance(metres: number): string {
  if (metres < 1000) return t("unit.m", { value: Math.round(metres / 10) * 10 });
  return t("unit.km", { value: (metres / 1000).toFixed(1) });
}

/** A zone's depth band: "0.5–3m", "≥ 20m", or its own wording. */
export function depthBand(zone: {
  depthMinM: number | null;
  depthMaxM: number | null;
  rankLabel: string | null;
}): string | null {
  const { depthMinM: low, depthMaxM: high } = zone;
  if (low === null && high === null) return zone.rankLabel;
  if (high === null) return `≥ ${t("unit.m", { value: low ?? 0 })}`;
  return `${low ?? 0}–${t("unit.m", { value: high })}`;
}

/** A date and time in the reader's language ("—" when unknown). */
export const formatDate = (iso: string | null) =>
  iso
    ? new Date(iso).toLocaleString(language.value === "en" ? "en-GB" : "ja-JP", {
        dateStyle: "medium",
        timeStyle: "short",
      })
    : "—";

/** How long ago: "5 minutes", "3 hours", "2 days" (in the reader's language). */
export function age(since: number): string {
  const minutes = Math.max(1, Math.round((Date.now() - since) / 60_000));
  if (minutes < 60) return t("age.minutes", { n: minutes });
  if (minutes < 48 * 60) return t("age.hours", { n: Math.round(minutes / 60) });
  return t("age.days", { n: Math.round(minutes / 1440) });
}
