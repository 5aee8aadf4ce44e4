import type { CSSProperties } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";
import { depthBand } from "../../lib/format";
import { StatusBadge } from "../../map/StatusBadge";
import { hiddenHazards, toggleHazard } from "../../map/state";
import {
  DEPTH_BANDS,
  HAZARD_COLOURS,
  LANDSLIDE_COLOURS,
  PATTERNS,
  type PatternId,
  TSUNAMI_BANDS,
} from "../../map/style";
import { BADGE_STATUSES, drawSymbol } from "../../map/symbols";
import { FACILITY_KINDS, type FacilityKind } from "../facilities/api";
import { ZONE_TYPES, type ZoneType } from "../hazards/api";

function useSymbols(): Partial<Record<FacilityKind, string>> {
  const [urls, setUrls] = useState<Partial<Record<FacilityKind, string>>>({});
  useEffect(() => {
    setUrls(Object.fromEntries(FACILITY_KINDS.map((kind) => [kind, drawSymbol(kind, 48).toDataURL()])));
  }, []);
  return urls;
}

type Band = { readonly min: number; readonly max: number | null; readonly colour: string };

/** The bands side by side, as one swatch. */
const ramp = (bands: readonly Band[]) =>
  `linear-gradient(to right, ${bands
    .map((b, i) => `${b.colour} ${(100 * i) / bands.length}% ${(100 * (i + 1)) / bands.length}%`)
    .join(", ")})`;

/** The map's hatching, in CSS. */
const hatch = (id: PatternId) =>
  `repeating-linear-gradient(-45deg, ${PATTERNS[id].stripe} 0 2px, ${PATTERNS[id].ground} 2px 6px)`;

/** The swatch of a hazard as the map draws it: depth colours, hatching or a plain colour. */
const SWATCHES: Record<ZoneType, CSSProperties> = {
  flood: { backgroundImage: ramp(DEPTH_BANDS) },
  inland_flood: { backgroundImage: ramp(DEPTH_BANDS), borderStyle: "dashed", borderWidth: "2px" },
  tsunami: { backgroundImage: ramp(TSUNAMI_BANDS) },
  storm_surge: { backgroundImage: hatch("pattern-storm_surge"), backgroundColor: "#ffffff" },
  landslide: { backgroundImage: hatch("pattern-landslide-warning"), backgroundColor: "#ffffff" },
  earthquake: { backgroundColor: HAZARD_COLOURS.earthquake },
  large_fire: { backgroundColor: HAZARD_COLOURS.large_fire },
  volcano: { backgroundImage: hatch("pattern-volcano"), backgroundColor: "#ffffff" },
  // A record of the past: an outline, barely filled, as on the map.
  flood_history: { borderColor: HAZARD_COLOURS.flood_history, borderStyle: "dashed", borderWidth: "2px" },
};

function Bands({ caption, bands }: { caption: string; bands: readonly Band[] }) {
  return (
    <div class="bands">
      <p class="bands-caption">{caption}</p>
      <ul class="kinds">
        {bands.map((band) => (
          <li key={band.min}>
            <span class="swatch" style={{ background: band.colour }} aria-hidden="true" />
            {depthBand({ depthMinM: band.min, depthMaxM: band.max, rankLabel: null })}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Landslide() {
  return (
    <div class="bands">
      <ul class="kinds">
        {(["warning", "special"] as const).map((zone) => (
          <li key={zone}>
            <span
              class="swatch"
              style={{
                backgroundColor: "#ffffff",
                backgroundImage: hatch(zone === "warning" ? "pattern-landslide-warning" : "pattern-landslide-special"),
              }}
              data-colour={LANDSLIDE_COLOURS[zone]}
              aria-hidden="true"
            />
            {t(zone === "warning" ? "legend.landslideWarning" : "legend.landslideSpecial")}
          </li>
        ))}
      </ul>
    </div>
  );
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
          <div key={hazard} class="hazard-row" data-hazard={hazard}>
            <label class="toggle">
              <input type="checkbox" checked={!hiddenHazards.value.has(hazard)} onChange={() => toggleHazard(hazard)} />
              <span class="swatch" style={SWATCHES[hazard]} aria-hidden="true" />
              {t(`hazard.${hazard}`)}
            </label>
            {hazard === "flood" && <Bands caption={t("legend.depth")} bands={DEPTH_BANDS} />}
            {hazard === "tsunami" && <Bands caption={t("legend.tsunamiDepth")} bands={TSUNAMI_BANDS} />}
            {hazard === "landslide" && <Landslide />}
          </div>
        ))}
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
