import type { HazardZoneAt } from "./api";
import { t } from "./i18n";

/** 850 → "850m", 1234 → "1.2km" (in the reader's language). */
export function distance(metres: number): string {
  if (metres < 1000) return t("unit.m", { value: Math.round(metres / 10) * 10 });
  return t("unit.km", { value: (metres / 1000).toFixed(1) });
}

/** A zone's depth band: "0.5–3m", "≥ 20m", or its own wording. */
export function depthBand(zone: Pick<HazardZoneAt, "depthMinM" | "depthMaxM" | "rankLabel">): string | null {
  const { depthMinM: low, depthMaxM: high } = zone;
  if (low === null && high === null) return zone.rankLabel;
  if (high === null) return `≥ ${t("unit.m", { value: low ?? 0 })}`;
  return `${low ?? 0}–${t("unit.m", { value: high })}`;
}
