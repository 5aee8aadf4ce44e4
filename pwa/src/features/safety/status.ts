// How a status reads: its words (never its colour alone), the shelter named when there is one.
import type { MessageKey } from "../../i18n";
import type { StatusRecord } from "./api";

/** The message key and its parameters for a status ("at shelter X" names the shelter). */
export function statusWords(record: Pick<StatusRecord, "status" | "shelterName">): {
  key: MessageKey;
  params: Record<string, string>;
} {
  const shelter = record.shelterName ?? "";
  switch (record.status) {
    case "at_shelter":
      return shelter
        ? { key: "family.status.atShelter", params: { shelter } }
        : { key: "family.status.atAShelter", params: {} };
    case "left_shelter":
      return shelter
        ? { key: "family.status.leftShelter", params: { shelter } }
        : { key: "family.status.leftAShelter", params: {} };
    default:
      return { key: `family.status.${record.status}`, params: {} };
  }
}

/** Statuses that call for help first (shown with a mark, and first in the eye). */
export const needsAttention = (status: StatusRecord["status"] | undefined) =>
  status === "needs_help" || status === "injured";

/** What the message field still allows, in characters as the server counts them (code points). */
export const charactersLeft = (text: string, max: number) => max - [...text].length;
