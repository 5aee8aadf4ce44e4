// The resident's お知らせ: the alerts this device received or read, newest first (offline too),
// one alert in full (its level, what to do, the area on a map, the nearest open shelters for its
// hazard, read aloud), and My Areas: what to receive where.
import "./alerts.css";
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { answers } from "../../answers";
import { Japanese, Name } from "../../components/Name";
import { language, t } from "../../i18n";
import { distance, formatDate } from "../../lib/format";
import { reason, useQuery } from "../../lib/useQuery";
import { StatusBadge } from "../../map/StatusBadge";
import { openFacility, place } from "../../map/state";
import type { ShelterStatus } from "../facilities/api";
import { askRoute } from "../routes/state";
import { AreaMap } from "./AreaMap";
import { type AlertDetail, alert as fetchAlert, alerts as fetchAlerts } from "./api";
import { FamilyNews } from "./FamilyNews";
import { keepAlert, type StoredAlert, storedAlert, storedAlerts } from "./inbox";
import { actionKey, badgeKey, isLevel, LEVEL_COLOURS, pushLanguage, shelterHazard, speechLang } from "./levels";
import { MyAreasEditor } from "./MyAreasEditor";
import { saved } from "./push";
import { alertRoute } from "./route";

/** "#/resident/alerts/ID" → ID. */
const openId = signal<string | null>(null);
function readHash(): void {
  const [, area, screen, id] = (globalThis.location?.hash ?? "").split("/");
  openId.value = area === "resident" && screen === "alerts" && id ? decodeURIComponent(id) : null;
}
readHash();
globalThis.addEventListener?.("hashchange", readHash);

export const inbox = signal<StoredAlert[]>([]);
export async function reloadInbox(): Promise<void> {
  inbox.value = await storedAlerts();
}

// The service worker tells the open app of a push (listen.ts opens an alert on a click).
globalThis.navigator?.serviceWorker?.addEventListener("message", (event: MessageEvent) => {
  if ((event.data as { type?: string } | null)?.type === "ALERT_RECEIVED") void reloadInbox();
});

/** The headline in the reader's language when the server gave it, else as it arrived. */
function headlineOf(a: StoredAlert | AlertDetail): { text: string; lang: string } {
  const wanted = pushLanguage(language.value);
  const all = (a as { headlines?: Record<string, string> }).headlines;
  if (all?.[wanted]) return { text: all[wanted], lang: wanted };
  const detail = (a as StoredAlert).detail as AlertDetail | undefined;
  if (detail?.headlines?.[wanted]) return { text: detail.headlines[wanted], lang: wanted };
  return { text: a.headline, lang: /[\u3040-\u30ff\u4e00-\u9fff]/.test(a.headline) ? "ja" : "en" };
}

export function LevelBadge({ alert }: { alert: { kind: string; level: number | null; action: string } }) {
  const colour = isLevel(alert.level) && alert.action !== "cancel" ? LEVEL_COLOURS[alert.level] : null;
  return (
    <span
      class={`level-badge ${colour ? `level-${alert.level}` : "level-none"}`}
      style={colour ? { background: colour.background, color: colour.text } : undefined}
    >
      {t(badgeKey(alert))}
    </span>
  );
}

function Inbox() {
  const list = inbox.value;
  if (list.length === 0) return <p>{t("alerts.empty")}</p>;
  return (
    <ul class="alert-list">
      {list.map((a) => {
        const head = headlineOf(a);
        return (
          <li key={a.id} data-alert={a.id}>
            <a href={`#/resident/alerts/${encodeURIComponent(a.id)}`}>
              <LevelBadge alert={a} />
              <span class="alert-headline" lang={head.lang === "en" ? "en" : "ja"}>
                {head.text}
              </span>
              {a.issuedAt && <span class="alert-time">{formatDate(a.issuedAt)}</span>}
              {a.cancelled && <span class="alert-lifted">{t("alerts.liftedLater")}</span>}
            </a>
          </li>
        );
      })}
    </ul>
  );
}

/** Every utterance says which language it is in: a Japanese voice reading English (or the
 * reverse) is not understood. Free text from headquarters is read as Japanese. */
function readAloud(parts: { text: string; lang: string }[]): void {
  const speech = globalThis.speechSynthesis;
  if (!speech) return;
  speech.cancel();
  for (const part of parts) {
    const utterance = new SpeechSynthesisUtterance(part.text);
    utterance.lang = speechLang(part.lang);
    speech.speak(utterance);
  }
}

function NearestOpen({ detail }: { detail: AlertDetail }) {
  const hazard = shelterHazard(detail.hazard);
  const point = saved.value?.areas.find((a) => a.lat != null && a.lon != null);
  const box = detail.bbox;
  const from =
    point && point.lat != null && point.lon != null
      ? { lat: point.lat, lon: point.lon }
      : box && box.length === 4
        ? { lat: ((box[1] as number) + (box[3] as number)) / 2, lon: ((box[0] as number) + (box[2] as number)) / 2 }
        : null;
  const query = useQuery(from ? `${detail.id}:${from.lat},${from.lon}:${hazard}` : null, () =>
    answers.nearestShelters(from ?? { lat: 0, lon: 0 }, { hazard, limit: 5 }),
  );
  if (!from) return null;
  const answer = query.state === "done" ? query.value : null;
  const listed = answer ? [...answer.features, ...(answer.nearestOpen ? [answer.nearestOpen] : [])] : [];
  // Open ones only, when the server knows which are open; else the suitable ones, said so.
  const live = answer?.liveStatus ?? false;
  const shown = live
    ? listed.filter((f) => f.properties.status?.status === "open" || f.properties.status?.status === "crowded")
    : listed;
  return (
    <section aria-labelledby="alert-shelters-title">
      <h3 id="alert-shelters-title">
        {hazard ? t("alerts.nearestFor", { hazard: t(`hazard.${hazard}`) }) : t("alerts.nearest")}
      </h3>
      <p class="hint">{point ? t("alerts.fromMyPoint", { label: point.label ?? "" }) : t("alerts.fromArea")}</p>
      {query.state === "loading" && <p>{t("nearest.loading")}</p>}
      {query.state === "error" && <p class="error">{t("nearest.error", { reason: query.reason })}</p>}
      {answer && !live && <p class="notice">{t("nearest.noLive")}</p>}
      {answer && shown.length === 0 && <p>{t("alerts.noneOpen")}</p>}
      <ul class="alert-shelters">
        {shown.map((f) => (
          <li key={f.id}>
            <Name of={f.properties} as="strong" />
            <span class="distance"> {distance(f.properties.distanceM)}</span>
            {f.properties.status && <StatusBadge status={(f.properties.status as ShelterStatus).status} />}
            <button
              type="button"
              class="secondary"
              onClick={() => {
                openFacility.value = String(f.id);
                location.hash = "#/resident/map";
              }}
            >
              {t("shelters.onMap")}
              <span class="visually-hidden">
                : <Name of={f.properties} />
              </span>
            </button>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                const mine =
                  point && point.lat != null && point.lon != null ? { lat: point.lat, lon: point.lon } : null;
                const { target, start } = alertRoute(f, hazard, mine, place.value);
                place.value = start;
                askRoute(target);
                location.hash = "#/resident/map";
              }}
            >
              {t("route.open")}
              <span class="visually-hidden">
                : <Name of={f.properties} />
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function OneAlert({ id }: { id: string }) {
  const [stored, setStored] = useState<StoredAlert | null>(null);
  const query = useQuery(`alert:${id}`, () => fetchAlert(id));
  useEffect(() => {
    void storedAlert(id).then((s) => setStored(s ?? null));
  }, [id]);
  useEffect(() => {
    if (query.state !== "done") return;
    const d = query.value;
    void keepAlert({
      id: d.id,
      kind: d.kind,
      level: d.level,
      headline: d.headline,
      headlines: d.headlines,
      action: d.action,
      status: d.status,
      issuedAt: d.issuedAt,
      cancelled: d.cancelled,
      detail: d,
    }).then(reloadInbox);
  }, [query.state]);
  const detail = query.state === "done" ? query.value : ((stored?.detail as AlertDetail | undefined) ?? null);
  const shown = detail ?? stored;
  const back = (
    <a class="back" href="#/resident/alerts">
      {t("alerts.back")}
    </a>
  );
  if (!shown) {
    return (
      <section class="panel" aria-labelledby="alert-title">
        {back}
        <h2 id="alert-title">{t("screen.alerts")}</h2>
        {query.state === "error" ? <p class="error">{query.reason}</p> : <p>{t("shelters.loading")}</p>}
      </section>
    );
  }
  const head = headlineOf(shown);
  const todo = t(actionKey(shown));
  const freeText = detail ? [detail.reason, detail.instructions].filter((x): x is string => !!x) : [];
  const spoken = [
    { text: head.text, lang: head.lang },
    { text: todo, lang: language.value === "en" ? "en" : "ja" },
    ...freeText.map((text) => ({ text, lang: "ja" })),
  ];
  return (
    <article class="panel alert-detail" aria-labelledby="alert-title" data-alert={shown.id}>
      {back}
      <p>
        <LevelBadge alert={shown} />
      </p>
      <h2 id="alert-title" lang={head.lang === "en" ? "en" : "ja"}>
        {head.text}
      </h2>
      {detail?.cancelled && <p class="notice">{t("alerts.liftedLater")}</p>}
      {detail && (
        <p class="alert-when">
          {t("alerts.issued", { time: formatDate(detail.issuedAt) })}
          {detail.municipalityNames.length > 0 && (
            <>
              {" "}
              {t("alerts.where")}{" "}
              {language.value === "en" ? (
                <span>{detail.municipalityNamesEn.join(", ")}</span>
              ) : (
                <Japanese text={detail.municipalityNames.join("、")} />
              )}
            </>
          )}
        </p>
      )}
      <button type="button" class="secondary" onClick={() => readAloud(spoken)} data-testid="read-aloud">
        {t("alerts.readAloud")}
      </button>
      <section aria-labelledby="alert-todo-title">
        <h3 id="alert-todo-title">{t("alerts.whatToDo")}</h3>
        <p class="alert-todo">{todo}</p>
      </section>
      {freeText.length > 0 && (
        <section class="free-text" aria-labelledby="alert-free-title">
          <h3 id="alert-free-title">{t("alerts.freeText")}</h3>
          <p class="hint">{t("alerts.freeTextNote")}</p>
          {freeText.map((text) => (
            <p key={text} lang="ja">
              {text}
            </p>
          ))}
        </section>
      )}
      {detail && detail.shelters.length > 0 && (
        <section aria-labelledby="alert-opened-title">
          <h3 id="alert-opened-title">{t("alerts.sheltersNamed")}</h3>
          <ul>
            {detail.shelters.map((s) => (
              <li key={s.id}>
                <Name of={s} />
              </li>
            ))}
          </ul>
        </section>
      )}
      {detail?.area && (
        <section aria-labelledby="alert-area-title">
          <h3 id="alert-area-title">{t("alerts.area")}</h3>
          <AreaMap
            area={detail.area as unknown as GeoJSON.Geometry}
            bbox={detail.bbox}
            markers={detail.shelters.map((s) => ({ lat: s.lat, lon: s.lon, label: s.name }))}
            label={t("alerts.areaMapLabel", { places: detail.municipalityNames.join("、") })}
            class="alert-map-small"
          />
        </section>
      )}
      {detail && detail.action === "issue" && <NearestOpen detail={detail} />}
      {query.state === "error" && <p class="notice">{t("alerts.storedOnly", { reason: query.reason })}</p>}
    </article>
  );
}

export function AlertsScreen() {
  const [syncError, setSyncError] = useState<string | null>(null);
  useEffect(() => {
    void reloadInbox();
    // What the server has for My Areas, municipalities and points (all, before they are chosen).
    const areas = saved.value?.areas ?? [];
    Promise.all((areas.length ? areas : [undefined]).map((area) => fetchAlerts(area)))
      .then(async (lists) => {
        for (const a of lists.flat()) {
          await keepAlert({
            id: a.id,
            kind: a.kind,
            level: a.level,
            headline: a.headline,
            action: a.action,
            status: a.status,
            issuedAt: a.issuedAt,
            cancelled: a.cancelled,
          });
        }
        setSyncError(null);
        await reloadInbox();
        // The list's headlines are Japanese: a reader of another language gets the newest alerts'
        // own headlines (and they are then kept for offline).
        if (language.value !== "ja") {
          const missing = inbox.value.filter((a) => !a.headlines).slice(0, 10);
          for (const a of missing) {
            const d = await fetchAlert(a.id);
            await keepAlert({
              id: d.id,
              kind: d.kind,
              level: d.level,
              headline: d.headline,
              headlines: d.headlines,
              action: d.action,
              detail: d,
            });
          }
          if (missing.length) await reloadInbox();
        }
      })
      .catch((error: unknown) => setSyncError(reason(error)));
  }, []);
  const id = openId.value;
  if (id) return <OneAlert id={id} />;
  return (
    <div class="panels">
      <section class="panel" aria-labelledby="inbox-title" aria-live="polite">
        <h2 id="inbox-title">{t("alerts.title")}</h2>
        {syncError && <p class="notice">{t("alerts.storedOnly", { reason: syncError })}</p>}
        <Inbox />
      </section>
      <MyAreasEditor />
      <FamilyNews />
    </div>
  );
}
