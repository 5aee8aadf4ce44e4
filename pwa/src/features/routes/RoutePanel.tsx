import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";
import { distance } from "../../lib/format";
import { offline, serverReachable } from "../../lib/status";
import { useQuery } from "../../lib/useQuery";
import { nearestHazard, place } from "../../map/state";
import { HAZARD_TYPES, type HazardType } from "../hazards/api";
import { household } from "../households/household";
import { storedPacks } from "../packs/stored";
import { type RouteAnswer, type RouteTarget, type ShownRoute, serverRoute } from "./api";
import { deviceRoute } from "./device";
import type { Coordinate, Profile, RouteOptions } from "./graph";
import { findRoute, type RouteSources } from "./plan";
import { canSpeak, speak, stopSpeaking } from "./speech";
import { routeTarget, shownRoute } from "./state";
import { direction, stepText } from "./text";

type Start = "place" | "home" | "work";
const PROFILE_LIST: Profile[] = ["adult", "elderly", "wheelchair"];

/** A wheelchair in the household: no steps; anyone else with care needs: the slower pace. */
export function defaultProfile(): Profile {
  const mobility = household.value.members.map((m) => m.careNeeds.mobility);
  if (mobility.includes("wheelchair") || mobility.includes("bedridden")) return "wheelchair";
  return mobility.some((m) => m !== "walks") ? "elderly" : "adult";
}

const inBox = ([west, south, east, north]: readonly [number, number, number, number], [lon, lat]: Coordinate) =>
  lon >= west && lon <= east && lat >= south && lat <= north;

const sources = (): RouteSources => ({
  offline: offline.value,
  server: serverRoute,
  packFor(from, to) {
    const pack = storedPacks.value.find(
      ({ manifest }) => manifest.graph && inBox(manifest.bbox, from) && inBox(manifest.bbox, to),
    );
    return pack ? { code: pack.manifest.municipality, version: pack.manifest.version } : null;
  },
  device: (pack, from, to, options) => deviceRoute(pack.code, pack.version, from, [to], options),
  unreachable() {
    serverReachable.value = false;
  },
});

function startPoint(start: Start): { lat: number; lon: number } | null {
  if (start === "place") return place.value;
  const saved = household.value[start];
  return saved ? { lat: saved.lat, lon: saved.lon } : null;
}

/** The device's compass heading (degrees from north), where it tells it. */
function useHeading(): number | null {
  const [heading, setHeading] = useState<number | null>(null);
  useEffect(() => {
    const listen = (event: DeviceOrientationEvent) => {
      const webkit = (event as DeviceOrientationEvent & { webkitCompassHeading?: number }).webkitCompassHeading;
      if (typeof webkit === "number") setHeading(webkit);
      else if (event.absolute && event.alpha !== null) setHeading((360 - event.alpha) % 360);
    };
    const name = "ondeviceorientationabsolute" in window ? "deviceorientationabsolute" : "deviceorientation";
    window.addEventListener(name, listen as EventListener);
    return () => window.removeEventListener(name, listen as EventListener);
  }, []);
  return heading;
}

function Compass({ bearing }: { bearing: number }) {
  const heading = useHeading();
  const turn = heading === null ? bearing : (bearing - heading + 360) % 360;
  return (
    <figure class="compass" data-testid="compass">
      <svg viewBox="-50 -50 100 100" role="img" aria-label={t("route.compass", { direction: direction(bearing) })}>
        <circle r="46" class="compass-ring" />
        <text y="-34" text-anchor="middle" class="compass-north">
          {heading === null ? t("route.direction.N") : ""}
        </text>
        <path d="M0 -30 L14 18 L0 8 L-14 18 Z" transform={`rotate(${turn.toFixed(0)})`} class="compass-arrow" />
      </svg>
      <figcaption class="muted">{heading === null ? t("route.compassNorth") : t("route.compassDevice")}</figcaption>
    </figure>
  );
}

function Warning({ route }: { route: ShownRoute }) {
  const hazard = route.hazard ? t(`hazard.${route.hazard as HazardType}`) : "";
  const metres = Math.round(route.insideZoneM);
  if (route.leastExposed || (!route.avoidsZone && route.hazard)) {
    return (
      <p class="route-warning" role="alert" data-testid="route-warning">
        <strong>{t("route.warningLabel")}</strong>{" "}
        {route.leastExposed ? t("route.leastExposed", { hazard, metres }) : t("route.insideZone", { hazard, metres })}
      </p>
    );
  }
  if (route.hazard) return <p class="notice">{t("route.avoids", { hazard })}</p>;
  return null;
}

function Result({ answer, target }: { answer: RouteAnswer; target: RouteTarget }) {
  const destination = target.name ?? t("route.destination");
  if (answer.kind === "straight") {
    return (
      <div class="route-result" data-testid="route-straight">
        <p>
          {t("route.straight", {
            direction: direction(answer.bearing),
            distance: distance(answer.distanceM),
            minutes: Math.ceil(answer.minutes),
          })}
        </p>
        <Compass bearing={answer.bearing} />
      </div>
    );
  }
  const lines = answer.steps.map((step) => stepText(step, destination));
  return (
    <div
      class="route-result"
      data-testid="route-result"
      data-computed-on={answer.computedOn}
      data-hazard={answer.hazard ?? ""}
    >
      <p class="route-summary" data-testid="route-summary" data-length-m={answer.lengthM}>
        <strong>
          {t("route.summary", { distance: distance(answer.lengthM), minutes: Math.ceil(answer.minutes) })}
        </strong>{" "}
        <span class="muted">
          ({t(`route.profile.${answer.profile}`)}
          {answer.night ? `・${t("route.nightShort")}` : ""})
        </span>
      </p>
      {answer.computedOn === "device" && <p class="notice">{t("route.onDevice")}</p>}
      <Warning route={answer} />
      <h3>{t("route.steps")}</h3>
      {canSpeak() && (
        <div class="route-speech">
          <button type="button" class="secondary" onClick={() => speak(lines)}>
            {t("route.speak")}
          </button>
          <button type="button" class="secondary" onClick={stopSpeaking}>
            {t("route.stop")}
          </button>
        </div>
      )}
      <ol class="route-steps" data-testid="route-steps">
        {lines.map((line, i) => (
          <li key={`${i}-${line}`}>{line}</li>
        ))}
      </ol>
    </div>
  );
}

/** The route to the place asked for (choices start afresh for each place). */
export function RoutePanel() {
  const target = routeTarget.value;
  if (!target) return null;
  return <RouteView key={target.facilityId ?? `${target.lat},${target.lon}`} target={target} />;
}

/** From the chosen place, home or work, for who walks, avoiding a hazard. */
function RouteView({ target }: { target: RouteTarget }) {
  // Into view for the keyboard and the screen reader, for each place asked (the panel is a chunk
  // of its own: it may arrive after the tap).
  useEffect(() => document.getElementById("route-title")?.focus(), []);
  const mine = household.value;
  const available: Start[] = [
    ...(place.value ? (["place"] as const) : []),
    ...(mine.home ? (["home"] as const) : []),
    ...(mine.work ? (["work"] as const) : []),
  ];
  const [start, setStart] = useState<Start | null>(null);
  const [profile, setProfile] = useState<Profile>(defaultProfile);
  const [night, setNight] = useState(false);
  const chosenHazard = nearestHazard.value;
  const [hazard, setHazard] = useState<HazardType | null>(
    target.hazard !== undefined ? target.hazard : chosenHazard && chosenHazard !== "any" ? chosenHazard : null,
  );
  const from = start && available.includes(start) ? start : (available[0] ?? null);
  const origin = from ? startPoint(from) : null;
  const options: RouteOptions = { profile, night, hazard };
  const key = origin
    ? `${origin.lat.toFixed(6)},${origin.lon.toFixed(6)}>${target.facilityId ?? `${target.lat},${target.lon}`}:${profile}:${night}:${hazard}:${offline.value}`
    : null;
  const query = useQuery(key, () => findRoute(sources(), origin ?? { lat: 0, lon: 0 }, target, options));
  const answer = query.state === "done" ? query.value : null;
  useEffect(() => {
    shownRoute.value = answer;
  }, [answer]);
  useEffect(
    () => () => {
      shownRoute.value = null;
      stopSpeaking();
    },
    [],
  );
  const close = () => {
    stopSpeaking();
    routeTarget.value = null;
    shownRoute.value = null;
  };
  const startLabel = (s: Start) =>
    s === "place"
      ? place.value?.origin === "here"
        ? t("route.fromHere")
        : t("route.fromPlace")
      : t(`route.from.${s}`);
  return (
    <section class="panel route-panel" aria-labelledby="route-title" data-testid="route-panel">
      <div class="sheet-head">
        <h2 id="route-title" tabIndex={-1}>
          {t("route.title", { name: target.name ?? t("route.destination") })}
        </h2>
        <button type="button" class="secondary" onClick={close}>
          {t("route.close")}
        </button>
      </div>
      {available.length === 0 ? (
        <p class="notice">{t("route.noStart")}</p>
      ) : (
        <label class="field">
          <span>{t("route.fromLabel")}</span>
          <select value={from ?? ""} onChange={(e) => setStart((e.target as HTMLSelectElement).value as Start)}>
            {available.map((s) => (
              <option key={s} value={s}>
                {startLabel(s)}
              </option>
            ))}
          </select>
        </label>
      )}
      <label class="field">
        <span>{t("route.profile")}</span>
        <select value={profile} onChange={(e) => setProfile((e.target as HTMLSelectElement).value as Profile)}>
          {PROFILE_LIST.map((p) => (
            <option key={p} value={p}>
              {t(`route.profile.${p}`)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t("route.hazard")}</span>
        <select
          value={hazard ?? ""}
          onChange={(e) => {
            const value = (e.target as HTMLSelectElement).value;
            setHazard(value === "" ? null : (value as HazardType));
          }}
        >
          <option value="">{t("route.hazardNone")}</option>
          {HAZARD_TYPES.map((h) => (
            <option key={h} value={h}>
              {t(`hazard.${h}`)}
            </option>
          ))}
        </select>
      </label>
      <label class="toggle">
        <input type="checkbox" checked={night} onChange={(e) => setNight((e.target as HTMLInputElement).checked)} />
        <span>{t("route.night")}</span>
      </label>
      <div aria-live="polite">
        {query.state === "loading" && <p>{t("route.loading")}</p>}
        {query.state === "error" && <p class="error">{t("route.error", { reason: query.reason })}</p>}
        {answer && <Result answer={answer} target={target} />}
      </div>
    </section>
  );
}
