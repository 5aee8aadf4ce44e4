import { t } from "../../i18n";
import { formatDate } from "../../lib/format";
import type { StatusRecord } from "./api";
import { needsAttention, statusWords } from "./status";

/** A status in words, with its time: "at shelter X" names the shelter. */
export function StatusLine({
  record,
}: {
  record: Pick<StatusRecord, "status" | "at" | "shelterName" | "byStaff"> | null | undefined;
}) {
  if (!record) return <span class="family-status none">{t("family.status.none")}</span>;
  const words = statusWords(record);
  const urgent = needsAttention(record.status);
  return (
    <span class={`family-status ${record.status}`}>
      {/* A mark as well as a colour: the urgent ones are seen in grey too. */}
      <strong>
        {urgent ? "⚠ " : record.status === "safe" ? "✓ " : ""}
        {t(words.key, words.params)}
      </strong>{" "}
      <span class="muted">{formatDate(record.at)}</span>
      {record.byStaff && <span class="muted"> {t("family.byStaff")}</span>}
    </span>
  );
}
