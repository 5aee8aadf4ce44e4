import { t } from "../i18n";
import { outbox, outboxItems } from "../lib/outboxStore";

export function OutboxScreen() {
  const items = outboxItems.value;
  return (
    <section class="panel">
      <h2>{t("outbox.title")}</h2>
      {items.length === 0 && <p>{t("outbox.empty")}</p>}
      <ul class="outbox">
        {items.map((item) => (
          <li key={item.id} data-state={item.state}>
            <strong>{item.label}</strong>
            <span class="state">{t(`outbox.${item.state}`)}</span>
            {item.reason && <span class="muted">{item.reason}</span>}
            {item.state === "queued" && item.attempts > 0 && (
              <span class="muted">
                {t("outbox.retryAt", { time: new Date(item.nextAttemptAt).toLocaleTimeString() })}
              </span>
            )}
            {item.state === "failed" && (
              <button type="button" class="secondary" onClick={() => void outbox.retry(item.id)}>
                {t("outbox.retry")}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
