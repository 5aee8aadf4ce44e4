import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";
import { hiddenHazards, toggleHazard } from "../../map/state";
import { HAZARD_COLOURS, isHistory } from "../../map/style";
import { BADGE_STATUSES, drawSymbol } from "../../map/symbols";
import { FACILITY_KINDS, type FacilityKind } from "../facilities/api";
import { ZONE_TYPES } from "../hazards/api";
import { StatusBadge } from "./StatusBadge";

function useSymbols(): Partial<Record<FacilityKind, string>> {
  const [urls, setUrls] = useState<Partial<Record<FacilityKind, string>>>({});
  useEffect(() => {
    setUrls(Object.fromEntries(FACILITY_KINDS.map((kind) => [kind, drawSymbol(kind, 48).toDataURL()])));
  }, []);
  return urls;
}

export function Legend() {
  const symbols = useSymbols();
  return (
    <details class="panel legend">
      <summary>
        <h2>{t("legend.title")}</h2>
      </summary>
      <fieldset>
        <legend>{t("legend.hazards")}</legend>
        {ZONE_TYPES.map((hazard) => (
          <label key={hazard} class="toggle">
            <input type="checkbox" checked={!hiddenHazards.value.has(hazard)} onChange={() => toggleHazard(hazard)} />
            <span
              class={isHistory(hazard) ? "swatch history" : "swatch"}
              style={
                isHistory(hazard) ? { borderColor: HAZARD_COLOURS[hazard] } : { background: HAZARD_COLOURS[hazard] }
              }
              aria-hidden="true"
            />
            {t(`hazard.${hazard}`)}
          </label>
        ))}
        <p class="depth-scale">
          <span class="scale" aria-hidden="true" />
          {t("legend.rankLow")} → {t("legend.rankHigh")}
        </p>
      </fieldset>
      <h3>{t("legend.facilities")}</h3>
      <ul class="kinds">
        {FACILITY_KINDS.map((kind) => (
          <li key={kind}>
            {symbols[kind] && <img src={symbols[kind]} alt="" width={24} height={24} />}
            {t(`kind.${kind}`)}
          </li>
        ))}
        <li>
          <span class="boundary-sample" aria-hidden="true" />
          {t("legend.boundary")}
        </li>
      </ul>
      <h3>{t("legend.statuses")}</h3>
      <ul class="kinds">
        {BADGE_STATUSES.map((status) => (
          <li key={status}>
            <StatusBadge status={status} />
          </li>
        ))}
      </ul>
    </details>
  );
}
