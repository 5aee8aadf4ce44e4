import { t } from "../../i18n";
import { STAYS } from "./api";
import { here, waiting } from "./store";

/** People inside now (as the server last said) and the writes still waiting to be sent; ``compact``
 * (the door) keeps it to one line. */
export function Counter({ compact = false }: { compact?: boolean }) {
  const now = here.value;
  const queued = waiting.value.length;
  const sent = (
    <span data-testid="waiting" class={queued > 0 ? "pending-note" : "muted"}>
      {queued > 0 ? t("staff.waiting", { count: queued }) : t("staff.allSent")}
    </span>
  );
  return (
    <section class={compact ? "panel counter compact" : "panel counter"} aria-live="polite">
      <p class="count">
        <span class="big" data-testid="people-inside">
          {now?.people ?? "—"}
        </span>{" "}
        {now?.capacity ? t("staff.ofCapacity", { capacity: now.capacity }) : t("staff.inside")}
        {now && <span class={`fill-status ${now.status}`}>{t(`status.${now.status}`)}</span>}
        {compact && sent}
      </p>
      {!compact && now && <p class="muted">{STAYS.map((s) => `${t(`stay.${s}`)} ${now.byStay[s]}`).join(" · ")}</p>}
      {!compact && <p>{sent}</p>}
    </section>
  );
}
