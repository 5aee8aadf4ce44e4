import { useEffect, useRef } from "preact/hooks";
import { answers } from "../../answers";
import { Japanese, Name } from "../../components/Name";
import { t } from "../../i18n";
import { useQuery } from "../../lib/useQuery";
import { openFacility } from "../../map/state";
import { shownCapacity } from "../facilities/api";
import { StatusBadge } from "./StatusBadge";

/** The details of the facility tapped on the map or chosen in a list, as a modal sheet. */
export function FacilitySheet() {
  const id = openFacility.value;
  const dialog = useRef<HTMLDialogElement>(null);
  const query = useQuery(id, () => answers.facility(id ?? ""));

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (id !== null && !element.open) element.showModal();
    if (id === null && element.open) element.close();
  }, [id]);

  const close = () => {
    openFacility.value = null;
  };
  const facility = query.state === "done" ? query.value.properties : null;
  // One capacity: the operating one while the shelter is operated, else the facility's.
  const capacity = facility ? shownCapacity(facility) : null;

  return (
    <dialog ref={dialog} class="sheet" aria-labelledby="sheet-title" onClose={close}>
      <div class="sheet-head">
        <h2 id="sheet-title" class="sheet-title">
          {facility ? <Name of={facility} /> : t("sheet.loading")}
        </h2>
        <button type="button" class="secondary" onClick={close}>
          {t("sheet.close")}
        </button>
      </div>
      {query.state === "error" && <p class="error">{t("sheet.error", { reason: query.reason })}</p>}
      {facility && (
        <dl>
          {facility.nameKana && (
            <>
              <dt>{t("sheet.kana")}</dt>
              <dd>
                <Japanese text={facility.nameKana} />
              </dd>
            </>
          )}
          <dt>{t("sheet.kinds")}</dt>
          <dd>{facility.kinds.map((k) => t(`kind.${k}`)).join("・")}</dd>
          <dt>{t("sheet.suitable")}</dt>
          <dd>
            {facility.suitableHazards.length > 0
              ? facility.suitableHazards.map((h) => t(`hazard.${h}`)).join("・")
              : t("sheet.suitableNone")}
          </dd>
          {facility.address && (
            <>
              <dt>{t("sheet.address")}</dt>
              <dd>
                <Japanese text={facility.address} />
              </dd>
            </>
          )}
          {(capacity !== null || facility.capacityText) && (
            <>
              <dt>{t("sheet.capacity")}</dt>
              <dd>{capacity !== null ? t("sheet.capacityValue", { count: capacity }) : facility.capacityText}</dd>
            </>
          )}
          <dt>{t("sheet.status")}</dt>
          <dd>
            {facility.status ? <StatusBadge status={facility.status.status} /> : t("sheet.statusUnknown")}
            {facility.status?.occupancy != null &&
              facility.status.status !== "closed" &&
              ` — ${t("sheet.occupancy", { people: facility.status.occupancy, capacity: capacity ?? "?" })}`}
          </dd>
        </dl>
      )}
    </dialog>
  );
}
