import { t } from "../../../i18n";
import type { ShelterHistory } from "../api";

export type Entry = ShelterHistory["entries"][number];
type Value = Entry["before"];

/** Needs as the detail panel says them: what is short, how many are sick, incidents, notes. */
function needsText(value: Value): string {
  if (!value || typeof value !== "object") return "—";
  const needs = value as Record<string, unknown>;
  const short = Array.isArray(needs.suppliesShort) ? needs.suppliesShort.join("、") : needs.suppliesShort;
  return (
    [
      short ? t("hq.suppliesShort", { what: String(short) }) : null,
      typeof needs.sick === "number" ? t("hq.sick", { count: needs.sick }) : null,
      needs.incidents ? t("hq.incidents", { what: String(needs.incidents) }) : null,
      needs.notes ? t("hq.notes", { what: String(needs.notes) }) : null,
    ]
      .filter(Boolean)
      .join(" / ") || "—"
  );
}

function valueText(field: Entry["field"], value: Value): string {
  if (field === "status") return typeof value === "string" ? t(`status.${value as "open"}`) : "—";
  if (field === "capacity") return typeof value === "number" ? String(value) : t("hq.capacityNone");
  if (field === "pets") return t(value ? "hq.petsYes" : "hq.petsNo");
  return needsText(value);
}

/** What one entry of a shelter's history says: a check-in or out, the opening or closing, a
 * change from what to what (with who made it), or the fill status the check-ins brought. */
export function entryText(e: Entry): string {
  if (e.kind === "opened") return t("hq.kind.opened");
  if (e.kind === "closed") return t("status.closed");
  if (e.kind === "change" || e.kind === "fill") {
    const field = e.field ?? "status";
    const change = {
      from: valueText(field, e.before ?? null),
      to: valueText(field, e.after ?? null),
    };
    const said = t(e.kind === "fill" ? "hq.change.fill" : `hq.change.${field}`, change);
    return e.by ? said + t("hq.change.by", { who: e.by }) : said;
  }
  const people = e.people ?? 0;
  if (e.otherShelter) {
    return t(e.kind === "in" ? "hq.kind.transferIn" : "hq.kind.transferOut", { shelter: e.otherShelter, people });
  }
  return t(`hq.kind.${e.kind}`, { people });
}
