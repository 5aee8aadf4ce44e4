// My Areas: up to ten municipalities and points (home, work, school, parents' house…) with a
// radius, the languages and the kinds to receive. Saving asks for notifications only after this
// screen has said why; on an iPhone it first says to add the app to the Home Screen.

import { useEffect, useState } from "preact/hooks";
import { language, t } from "../../i18n";
import { langAttribute, localName } from "../../lib/names";
import { reason } from "../../lib/useQuery";
import { household } from "../households/household";
import { type Municipality, municipalities } from "../municipalities/api";
import { AreaMap } from "./AreaMap";
import type { PushArea } from "./api";
import { hereArea } from "./here";
import { ALERT_KINDS, type AlertKind } from "./levels";
import {
  Denied,
  defaultAreas,
  INTENSITIES,
  type Intensity,
  MAX_AREAS,
  type MyAreas,
  type PushLanguage,
  permission,
  save,
  saved,
  stop,
  support,
  thisPlatform,
} from "./push";

const LABELS = ["home", "work", "school", "parents", "other"] as const;
type Label = (typeof LABELS)[number];
const RADII = [300, 500, 1000, 2000, 5000] as const;
const LANGS: readonly PushLanguage[] = ["ja", "en", "ja-easy"];
// The warning kinds JMA issues by level, as one choice each.
const KIND_KEYS: Record<AlertKind, string> = {
  evacuation: "alerts.kinds.evacuation",
  warning: "alerts.kinds.warning",
  advisory: "alerts.kinds.advisory",
  landslide: "alerts.kinds.landslide",
  flood: "alerts.kinds.flood",
  earthquake: "alerts.kinds.earthquake",
  tsunami: "alerts.kinds.tsunami",
  shelter: "alerts.kinds.shelter",
};

const round = (x: number) => Math.round(x * 100000) / 100000;

function areaText(area: PushArea, towns: Municipality[]): string {
  if (area.municipality) {
    const town = towns.find((m) => m.code === area.municipality);
    return town ? localName(town, language.value).text : area.municipality;
  }
  return t("alerts.pointText", {
    label: area.label ?? t("alerts.label.other"),
    radius: (area.radiusM ?? 0) >= 1000 ? `${(area.radiusM ?? 0) / 1000} km` : `${area.radiusM} m`,
  });
}

function PermissionNote() {
  const where = support(thisPlatform());
  if (where === "ios-home-screen")
    return (
      <div class="notice" data-testid="ios-home-screen">
        <p>{t("alerts.ios")}</p>
        <ol>
          <li>{t("alerts.ios.step1")}</li>
          <li>{t("alerts.ios.step2")}</li>
          <li>{t("alerts.ios.step3")}</li>
        </ol>
      </div>
    );
  if (where === "unsupported") return <p class="notice">{t("alerts.unsupported")}</p>;
  if (permission.value === "denied")
    return (
      <p class="notice" data-testid="denied">
        {t("alerts.denied")}
      </p>
    );
  if (permission.value === "default")
    return (
      <div class="explain" data-testid="explain">
        <p>{t("alerts.explain")}</p>
        <p>{t("alerts.explainPrivacy")}</p>
      </div>
    );
  return null;
}

/** The list with `item` in it or not. */
const toggled = <T,>(list: readonly T[], item: T, on: boolean): T[] =>
  on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item);

export function MyAreasEditor() {
  const [towns, setTowns] = useState<Municipality[]>([]);
  const [draft, setDraft] = useState<MyAreas>(() => {
    const s = saved.value;
    return s
      ? { areas: s.areas, languages: s.languages, kinds: s.kinds, minIntensity: s.minIntensity }
      : defaultAreas(language.value);
  });
  const [town, setTown] = useState("");
  const [label, setLabel] = useState<Label>("home");
  const [radius, setRadius] = useState<number>(1000);
  const [point, setPoint] = useState<{ lat: number; lon: number } | null>(null);
  const [picking, setPicking] = useState(false);
  const [state, setState] = useState<{ kind: "idle" | "saving" | "saved" | "error"; text?: string }>({ kind: "idle" });
  useEffect(() => {
    municipalities()
      .then(setTowns)
      .catch(() => undefined);
  }, []);
  // "Where I am" is one point beside the chosen areas, moved by the app (push.ts moveHere).
  const chosen = draft.areas.filter((a) => !a.here);
  const here = draft.areas.find((a) => a.here);
  const full = chosen.length >= MAX_AREAS;
  const followHere = (on: boolean) => {
    if (!on) return change({ areas: chosen });
    if (!("geolocation" in navigator)) return setState({ kind: "error", text: t("alerts.hereFailed") });
    navigator.geolocation.getCurrentPosition(
      (p) => change({ areas: [...chosen, hereArea(p.coords.latitude, p.coords.longitude, t("alerts.hereLabel"))] }),
      () => setState({ kind: "error", text: t("alerts.hereFailed") }),
      { timeout: 15_000, maximumAge: 300_000 },
    );
  };
  const change = (next: Partial<MyAreas>) => {
    setDraft({ ...draft, ...next });
    setState({ kind: "idle" });
  };
  const addArea = (area: PushArea) => change({ areas: [...draft.areas, area] });
  const home = household.value.home;
  const work = household.value.work;
  const where = support(thisPlatform());

  const submit = async (event: Event) => {
    event.preventDefault();
    if (draft.areas.length === 0) {
      setState({ kind: "error", text: t("alerts.needArea") });
      return;
    }
    if (draft.languages.length === 0) {
      setState({ kind: "error", text: t("alerts.needLanguage") });
      return;
    }
    setState({ kind: "saving" });
    try {
      await save(draft);
      setState({ kind: "saved" });
    } catch (error) {
      setState({ kind: "error", text: error instanceof Denied ? t("alerts.denied") : reason(error) });
    }
  };

  return (
    <section class="panel my-areas" aria-labelledby="my-areas-title">
      <h2 id="my-areas-title">{t("alerts.myAreas")}</h2>
      <PermissionNote />
      <form onSubmit={submit}>
        <h3>{t("alerts.areas", { count: chosen.length, max: MAX_AREAS })}</h3>
        {chosen.length === 0 && <p>{t("alerts.noAreas")}</p>}
        <ul class="my-area-list">
          {chosen.map((area, i) => (
            <li key={`${area.municipality ?? `${area.lat},${area.lon}`}-${i}`}>
              <span>{areaText(area, towns)}</span>
              <button
                type="button"
                class="secondary"
                onClick={() => change({ areas: draft.areas.filter((a) => a !== area) })}
              >
                {t("alerts.remove")}
                <span class="visually-hidden">: {areaText(area, towns)}</span>
              </button>
            </li>
          ))}
        </ul>
        {full && <p class="notice">{t("alerts.full", { max: MAX_AREAS })}</p>}
        <label class="check">
          <input
            type="checkbox"
            checked={here !== undefined}
            onChange={(e) => followHere((e.target as HTMLInputElement).checked)}
          />
          <span>{t("alerts.here")}</span>
        </label>
        <p class="hint">{t("alerts.hereHint")}</p>
        <fieldset disabled={full}>
          <legend>{t("alerts.addMunicipality")}</legend>
          <label class="field">
            <span>{t("shelters.municipality")}</span>
            <select value={town} onChange={(e) => setTown((e.target as HTMLSelectElement).value)}>
              <option value="">{t("alerts.choose")}</option>
              {towns.map((m) => (
                <option key={m.code} value={m.code} lang={langAttribute(localName(m, language.value).lang)}>
                  {localName(m, language.value).text}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            class="secondary"
            disabled={!town || draft.areas.some((a) => a.municipality === town)}
            onClick={() => {
              addArea({ municipality: town });
              setTown("");
            }}
          >
            {t("alerts.add")}
          </button>
        </fieldset>
        <fieldset disabled={full}>
          <legend>{t("alerts.addPoint")}</legend>
          <label class="field">
            <span>{t("alerts.pointLabel")}</span>
            <select value={label} onChange={(e) => setLabel((e.target as HTMLSelectElement).value as Label)}>
              {LABELS.map((l) => (
                <option key={l} value={l}>
                  {t(`alerts.label.${l}`)}
                </option>
              ))}
            </select>
          </label>
          <div class="buttons">
            {home && (
              <button type="button" class="secondary" onClick={() => setPoint({ lat: home.lat, lon: home.lon })}>
                {t("alerts.useHome")}
              </button>
            )}
            {work && (
              <button type="button" class="secondary" onClick={() => setPoint({ lat: work.lat, lon: work.lon })}>
                {t("alerts.useWork")}
              </button>
            )}
            <button type="button" class="secondary" aria-expanded={picking} onClick={() => setPicking(!picking)}>
              {t("alerts.pickOnMap")}
            </button>
          </div>
          {picking && (
            <AreaMap
              area={point ? { type: "Point", coordinates: [point.lon, point.lat] } : null}
              onPick={(lat, lon) => setPoint({ lat: round(lat), lon: round(lon) })}
              label={t("alerts.pickHint")}
              class="alert-map-pick"
            />
          )}
          {picking && <p class="hint">{t("alerts.pickHint")}</p>}
          <p data-testid="picked-point">
            {point ? t("alerts.picked", { lat: point.lat.toFixed(4), lon: point.lon.toFixed(4) }) : t("alerts.noPoint")}
          </p>
          <label class="field">
            <span>{t("alerts.radius")}</span>
            <select value={radius} onChange={(e) => setRadius(Number((e.target as HTMLSelectElement).value))}>
              {RADII.map((r) => (
                <option key={r} value={r}>
                  {r >= 1000 ? `${r / 1000} km` : `${r} m`}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            class="secondary"
            disabled={!point}
            onClick={() => {
              if (!point) return;
              addArea({ lat: point.lat, lon: point.lon, radiusM: radius, label: t(`alerts.label.${label}`) });
              setPoint(null);
              setPicking(false);
            }}
          >
            {t("alerts.add")}
          </button>
        </fieldset>
        <fieldset>
          <legend>{t("alerts.languages")}</legend>
          {LANGS.map((l) => (
            <label key={l} class="check">
              <input
                type="checkbox"
                checked={draft.languages.includes(l)}
                onChange={(e) =>
                  change({ languages: toggled(draft.languages, l, (e.target as HTMLInputElement).checked) })
                }
              />
              <span lang={l === "en" ? "en" : "ja"}>{t(`alerts.lang.${l}`)}</span>
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t("alerts.kinds")}</legend>
          {ALERT_KINDS.map((k) => (
            <label key={k} class="check">
              <input
                type="checkbox"
                checked={draft.kinds.includes(k)}
                onChange={(e) => change({ kinds: toggled(draft.kinds, k, (e.target as HTMLInputElement).checked) })}
              />
              <span>{t(KIND_KEYS[k] as "alerts.kinds.evacuation")}</span>
            </label>
          ))}
          <label class="field">
            <span>{t("alerts.minIntensity")}</span>
            <select
              value={draft.minIntensity}
              disabled={!draft.kinds.includes("earthquake")}
              onChange={(e) => change({ minIntensity: (e.target as HTMLSelectElement).value as Intensity })}
            >
              {INTENSITIES.map((i) => (
                <option key={i} value={i}>
                  {t(`alerts.intensity.${i}`)}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
        <button type="submit" class="primary" disabled={state.kind === "saving" || where !== "ok"}>
          {saved.value ? t("alerts.saveChanges") : t("alerts.subscribe")}
        </button>
        <p role="status">
          {state.kind === "saving" && t("alerts.saving")}
          {state.kind === "saved" && t("alerts.saved")}
        </p>
        {state.kind === "error" && (
          <p class="error" role="alert">
            {state.text}
          </p>
        )}
      </form>
      {saved.value && (
        <button
          type="button"
          class="secondary"
          onClick={() => {
            stop().then(
              () => {
                setDraft(defaultAreas(language.value));
                setState({ kind: "idle" });
              },
              (error: unknown) => setState({ kind: "error", text: reason(error) }),
            );
          }}
        >
          {t("alerts.unsubscribe")}
        </button>
      )}
    </section>
  );
}
