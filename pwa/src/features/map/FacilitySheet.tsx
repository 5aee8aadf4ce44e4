import { useEffect, useRef } from "preact/hooks";
import { answers } from "../../answers";
import { Japanese, Name } from "../../components/Name";
import { t } from "../../i18n";
import { useQuery } from "../../lib/useQuery";
import { StatusBadge } from "../../map/StatusBadge";
import { openFacility } from "../../map/state";
import { type FacilityKind, shownCapacity } from "../facilities/api";
import { household } from "../households/household";
import { isTargetGroup, matchingGroups } from "../households/welfare";
import { askRoute } from "../routes/state";

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
  // Each record of the place with its own name and designation; a welfare shelter's with whom it
  // takes in. A place of one record without target groups says it all in its kinds.
  const designations = (facility?.designations ?? []).filter((d) => !d.withdrawn);
  const detailed =
    designations.length > 1 || designations.some((d) => d.targetGroups.length + d.targetOther.length > 0);

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
          {detailed && (
            <>
              <dt>{t("sheet.designations")}</dt>
              <dd>
                <ul class="designations">
                  {designations.map((d) => {
                    const targets = [
                      ...d.targetGroups.filter(isTargetGroup).map((g) => t(`target.${g}`)),
                      ...d.targetOther,
                    ];
                    const matches = matchingGroups(d.targetGroups, household.value).length > 0;
                    return (
                      <li key={d.sourceId} data-source-id={d.sourceId}>
                        <strong>
                          <Japanese text={d.name} />
                        </strong>
                        {" — "}
                        {(d.kinds as FacilityKind[]).map((k) => t(`kind.${k}`)).join("・")}
                        {targets.length > 0 && (
                          <div>
                            {t("sheet.targets")}: {targets.join("・")}
                          </div>
                        )}
                        {matches && (
                          <div class="welfare-match" data-testid="welfare-match">
                            {t("sheet.welfareMatch")}
                          </div>
                        )}
                      </li>
                    );
                  })}
                </ul>
              </dd>
            </>
          )}
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
      {facility?.kinds.includes("welfare_shelter") && <p class="notice">{t("sheet.welfareOnRequest")}</p>}
      {facility && query.state === "done" && (
        <button
          type="button"
          class="primary"
          onClick={() => {
            const [lon, lat] = query.value.geometry.coordinates;
            close();
            askRoute({ facilityId: query.value.id ?? id, name: facility.name, lat, lon });
          }}
        >
          {t("route.open")}
        </button>
      )}
    </dialog>
  );
}
