import { useEffect, useRef, useState } from "preact/hooks";
import { Name } from "../../../components/Name";
import { t } from "../../../i18n";
import { formatDate } from "../../../lib/format";
import { reason } from "../../../lib/useQuery";
import { StatusBadge } from "../../../map/StatusBadge";
import { CARE_NEEDS, type Occupancy, type ShelterHistory, STAYS, shelterHistory, suppliesShort } from "../api";
import { entryText } from "./history";

/** One shelter: occupancy by stay, care needs, what it lacks and what happened, its history.
 * Its capacity is the operating one (the facility's own is not shown: one number, the one that
 * counts while it is open). */
export function ShelterDetail({ shelter, onClose }: { shelter: Occupancy; onClose: () => void }) {
  const [history, setHistory] = useState<ShelterHistory | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [shelter.shelterId]);
  // Read again when the shelter changes (a live update carries its new updatedAt).
  useEffect(() => {
    let current = true;
    shelterHistory(shelter.shelterId).then(
      (answer) => {
        if (!current) return;
        setHistory(answer);
        setError(null);
      },
      (failure: unknown) => {
        if (current) setError(reason(failure));
      },
    );
    return () => {
      current = false;
    };
  }, [shelter.shelterId, shelter.updatedAt]);
  const care = CARE_NEEDS.filter((need) => (shelter.care[need] ?? 0) > 0);
  const short = suppliesShort(shelter.needs);
  return (
    <section class="hq-detail panel" aria-labelledby="hq-detail-title" data-testid="hq-detail">
      <div class="sheet-head">
        <h2 id="hq-detail-title" tabIndex={-1} ref={heading}>
          <Name of={shelter} />
          <span class="muted"> {shelter.municipalityName}</span>
        </h2>
        <button type="button" class="secondary" onClick={onClose}>
          {t("sheet.close")}
        </button>
      </div>
      <p>
        <StatusBadge status={shelter.status} />{" "}
        <strong>
          {shelter.capacity
            ? t("hq.occupancy", { people: shelter.people, capacity: shelter.capacity })
            : t("hq.noCapacity", { people: shelter.people })}
        </strong>
        <span class="muted"> {t("hq.updated", { time: formatDate(shelter.updatedAt) })}</span>
      </p>
      <dl>
        <dt>{t("hq.byStay")}</dt>
        <dd>{STAYS.map((stay) => `${t(`stay.${stay}`)} ${shelter.byStay[stay] ?? 0}`).join("・")}</dd>
        <dt>{t("hq.care")}</dt>
        <dd>{care.length ? care.map((need) => `${t(`care.${need}`)} ${shelter.care[need]}`).join("・") : "—"}</dd>
        <dt>{t("hq.needs")}</dt>
        <dd>
          {[
            short && t("hq.suppliesShort", { what: short }),
            shelter.needs.sick ? t("hq.sick", { count: shelter.needs.sick }) : null,
            shelter.needs.incidents && t("hq.incidents", { what: shelter.needs.incidents }),
            shelter.needs.notes && t("hq.notes", { what: shelter.needs.notes }),
            shelter.petsAccepted ? t("hq.pets") : null,
          ]
            .filter(Boolean)
            .join(" / ") || "—"}
        </dd>
      </dl>
      <h3>{t("hq.history")}</h3>
      {error && <p class="error">{error}</p>}
      {history && history.entries.length === 0 && <p class="muted">{t("hq.historyEmpty")}</p>}
      {history && history.entries.length > 0 && (
        <ol class="hq-history">
          {history.entries.map((e, i) => (
            <li key={`${e.at}-${i}`} data-kind={e.kind}>
              <time dateTime={e.at}>{formatDate(e.at)}</time> {entryText(e)}
              {e.stay && <span class="muted"> {t(`stay.${e.stay}`)}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
