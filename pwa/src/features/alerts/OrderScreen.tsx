// Headquarters' 避難情報の発令: compose (level, hazard, where: whole municipalities, a polygon
// drawn on the map or a circle, the shelters opened, a message), preview how many subscriptions
// it reaches (a dry run), send; then the orders sent with their delivery counts, and 解除.
import { useEffect, useState } from "preact/hooks";
import { t } from "../../i18n";
import { formatDate } from "../../lib/format";
import { reason } from "../../lib/useQuery";
import { me } from "../accounts/session";
import { type Municipality, municipalities } from "../municipalities/api";
import { type Occupancy, occupancy } from "../shelters/api";
import { LevelBadge } from "./AlertsScreen";
import { AreaMap } from "./AreaMap";
import { type AlertSummary, alerts, type DeliveryCounts, deliveries, type OrderIn, type OrderOut, order } from "./api";
import { circleRing, ring } from "./draw";

const LEVELS = [3, 4, 5] as const;
const HAZARDS = [
  "flood",
  "inland_flood",
  "landslide",
  "storm_surge",
  "tsunami",
  "heavy_rain",
  "earthquake",
  "fire",
  "other",
] as const;
type Hazard = (typeof HAZARDS)[number];
type Mode = "municipality" | "polygon" | "circle";
const RADII = [500, 1000, 2000, 3000, 5000] as const;

function SentList({ refresh }: { refresh: number }) {
  const [list, setList] = useState<AlertSummary[] | null>(null);
  const [counts, setCounts] = useState<Record<string, DeliveryCounts>>({});
  const [error, setError] = useState<string | null>(null);
  const [lifting, setLifting] = useState<{ id: string; preview: OrderOut | null; done?: boolean } | null>(null);
  const [again, setAgain] = useState(0);
  useEffect(() => {
    alerts().then(
      async (all) => {
        const ours = all.filter((a) => a.source === "hq");
        setList(ours);
        const got: Record<string, DeliveryCounts> = {};
        for (const a of ours.slice(0, 20)) {
          try {
            got[a.id] = await deliveries(a.id);
          } catch {
            // another municipality's order: no counts for us
          }
        }
        setCounts(got);
      },
      (failure: unknown) => setError(reason(failure)),
    );
  }, [refresh, again]);
  const lift = async (a: AlertSummary, send: boolean) => {
    try {
      const answer = await order({ hazard: "other", cancels: a.id, dryRun: !send } as OrderIn);
      setLifting({ id: a.id, preview: answer, done: send });
      if (send) setAgain(again + 1);
    } catch (failure) {
      setError(reason(failure));
    }
  };
  return (
    <section class="panel" aria-labelledby="sent-title" aria-live="polite">
      <h2 id="sent-title">{t("orders.sent")}</h2>
      {error && <p class="error">{error}</p>}
      {list === null && !error && <p>{t("shelters.loading")}</p>}
      {list?.length === 0 && <p>{t("orders.none")}</p>}
      <ul class="sent-orders">
        {list?.map((a) => {
          const c = counts[a.id];
          return (
            <li key={a.id} data-order={a.id}>
              <LevelBadge alert={a} /> <span lang="ja">{a.headline}</span>
              <span class="muted"> {formatDate(a.issuedAt)}</span>
              {c && (
                <p class="counts" data-testid="delivery-counts">
                  {t("orders.counts", {
                    sent: c.sent ?? 0,
                    queued: c.queued ?? 0,
                    failed: c.failed ?? 0,
                    removed: c.removed ?? 0,
                  })}
                </p>
              )}
              {a.cancelled && <p class="muted">{t("alerts.liftedLater")}</p>}
              {a.action === "issue" && !a.cancelled && (
                <div class="buttons">
                  {lifting?.id === a.id && lifting.preview && !lifting.done ? (
                    <>
                      <span>{t("orders.liftReach", { count: lifting.preview.reached })}</span>
                      <button type="button" class="primary" onClick={() => void lift(a, true)}>
                        {t("orders.liftSend")}
                      </button>
                      <button type="button" class="secondary" onClick={() => setLifting(null)}>
                        {t("orders.cancel")}
                      </button>
                    </>
                  ) : (
                    <button type="button" class="secondary" onClick={() => void lift(a, false)}>
                      {t("orders.lift")}
                    </button>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function OrderScreen() {
  const mine = me.value?.roles ?? [];
  const prefectural = mine.some((r) => r.role === "prefectural_hq");
  const ownCodes = mine.flatMap((r) => (r.role === "municipal_hq" && r.municipality ? [r.municipality] : []));
  const [towns, setTowns] = useState<Municipality[]>([]);
  const [shelters, setShelters] = useState<Occupancy[]>([]);
  const [level, setLevel] = useState<3 | 4 | 5>(4);
  const [hazard, setHazard] = useState<Hazard>("flood");
  const [mode, setMode] = useState<Mode>("municipality");
  const [chosen, setChosen] = useState<string[]>([]);
  const [corners, setCorners] = useState<[number, number][]>([]);
  const [centre, setCentre] = useState<{ lat: number; lon: number } | null>(null);
  const [radius, setRadius] = useState<number>(1000);
  const [picked, setPicked] = useState<string[]>([]);
  const [reasonText, setReason] = useState("");
  const [instructions, setInstructions] = useState("");
  const [preview, setPreview] = useState<OrderOut | null>(null);
  const [sent, setSent] = useState<OrderOut | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [refresh, setRefresh] = useState(0);
  useEffect(() => {
    municipalities()
      .then((all) => setTowns(prefectural ? all : all.filter((m) => ownCodes.includes(m.code))))
      .catch(() => undefined);
    occupancy()
      .then(setShelters)
      .catch(() => undefined);
  }, []);
  const stale = () => {
    setPreview(null);
    setSent(null);
  };
  const where = (): Partial<OrderIn> | null => {
    if (mode === "municipality") return chosen.length ? { municipalities: chosen } : null;
    if (mode === "polygon") {
      const closed = ring(corners);
      return closed ? { polygon: { type: "Polygon", coordinates: [closed] } } : null;
    }
    return centre ? { circle: { lat: centre.lat, lon: centre.lon, radiusM: radius } } : null;
  };
  const body = (dryRun: boolean): OrderIn | null => {
    const area = where();
    if (!area) return null;
    return {
      hazard,
      level,
      ...area,
      shelters: picked,
      reason: reasonText.trim() || null,
      instructions: instructions.trim() || null,
      dryRun,
    } as OrderIn;
  };
  const run = async (dryRun: boolean) => {
    const request = body(dryRun);
    if (!request) {
      setError(t("orders.needArea"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await order(request);
      if (dryRun) setPreview(answer);
      else {
        setSent(answer);
        setPreview(null);
        setRefresh(refresh + 1);
      }
    } catch (failure) {
      setError(reason(failure));
    } finally {
      setBusy(false);
    }
  };
  const drawn: GeoJSON.Geometry | null =
    mode === "polygon"
      ? corners.length >= 3
        ? { type: "Polygon", coordinates: [ring(corners) as [number, number][]] }
        : corners.length > 0
          ? { type: "MultiPoint", coordinates: corners }
          : null
      : mode === "circle" && centre
        ? { type: "Polygon", coordinates: [circleRing(centre.lat, centre.lon, radius)] }
        : null;
  const nearby = shelters.filter(
    (s) => mode !== "municipality" || chosen.length === 0 || chosen.includes(s.municipality),
  );
  return (
    <>
      <section class="panel orders" aria-labelledby="order-title">
        <h2 id="order-title">{t("orders.title")}</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(true);
          }}
        >
          <fieldset>
            <legend>{t("orders.level")}</legend>
            {LEVELS.map((l) => (
              <label key={l} class="check">
                <input
                  type="radio"
                  name="level"
                  checked={level === l}
                  onChange={() => {
                    setLevel(l);
                    stale();
                  }}
                />
                <LevelBadge alert={{ kind: "evacuation", level: l, action: "issue" }} />
              </label>
            ))}
          </fieldset>
          <label class="field">
            <span>{t("orders.hazard")}</span>
            <select
              value={hazard}
              onChange={(e) => {
                setHazard((e.target as HTMLSelectElement).value as Hazard);
                stale();
              }}
            >
              {HAZARDS.map((h) => (
                <option key={h} value={h}>
                  {t(`orders.hazard.${h}`)}
                </option>
              ))}
            </select>
          </label>
          <fieldset>
            <legend>{t("orders.where")}</legend>
            {(["municipality", "polygon", "circle"] as const).map((m) => (
              <label key={m} class="check">
                <input
                  type="radio"
                  name="mode"
                  checked={mode === m}
                  onChange={() => {
                    setMode(m);
                    stale();
                  }}
                />
                {t(`orders.mode.${m}`)}
              </label>
            ))}
          </fieldset>
          {mode === "municipality" && (
            <fieldset>
              <legend>{t("shelters.municipality")}</legend>
              {towns.map((m) => (
                <label key={m.code} class="check">
                  <input
                    type="checkbox"
                    checked={chosen.includes(m.code)}
                    onChange={(e) => {
                      const on = (e.target as HTMLInputElement).checked;
                      setChosen(on ? [...chosen, m.code] : chosen.filter((c) => c !== m.code));
                      stale();
                    }}
                  />
                  <span lang="ja">{m.name}</span>
                </label>
              ))}
            </fieldset>
          )}
          {mode !== "municipality" && (
            <div class="order-draw">
              <p class="hint">{mode === "polygon" ? t("orders.drawHint") : t("orders.circleHint")}</p>
              <AreaMap
                area={drawn}
                onPick={(lat, lon) => {
                  if (mode === "polygon") setCorners((before) => [...before, [lon, lat]]);
                  else setCentre({ lat, lon });
                  stale();
                }}
                label={mode === "polygon" ? t("orders.drawHint") : t("orders.circleHint")}
                class="alert-map-draw"
              />
              <p data-testid="drawn">
                {mode === "polygon"
                  ? t("orders.corners", { count: corners.length })
                  : centre
                    ? t("alerts.picked", { lat: centre.lat.toFixed(4), lon: centre.lon.toFixed(4) })
                    : t("alerts.noPoint")}
              </p>
              {mode === "polygon" && corners.length > 0 && (
                <div class="buttons">
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => {
                      setCorners(corners.slice(0, -1));
                      stale();
                    }}
                  >
                    {t("orders.undo")}
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => {
                      setCorners([]);
                      stale();
                    }}
                  >
                    {t("orders.clear")}
                  </button>
                </div>
              )}
              {mode === "circle" && (
                <label class="field">
                  <span>{t("alerts.radius")}</span>
                  <select
                    value={radius}
                    onChange={(e) => {
                      setRadius(Number((e.target as HTMLSelectElement).value));
                      stale();
                    }}
                  >
                    {RADII.map((r) => (
                      <option key={r} value={r}>
                        {r >= 1000 ? `${r / 1000} km` : `${r} m`}
                      </option>
                    ))}
                  </select>
                </label>
              )}
            </div>
          )}
          {nearby.length > 0 && (
            <fieldset>
              <legend>{t("orders.shelters")}</legend>
              {nearby.map((s) => (
                <label key={s.shelterId} class="check">
                  <input
                    type="checkbox"
                    checked={picked.includes(s.shelterId)}
                    onChange={(e) => {
                      const on = (e.target as HTMLInputElement).checked;
                      setPicked(on ? [...picked, s.shelterId] : picked.filter((x) => x !== s.shelterId));
                    }}
                  />
                  <span lang="ja">{s.name}</span>
                </label>
              ))}
            </fieldset>
          )}
          <label class="field">
            <span>{t("orders.reason")}</span>
            <textarea
              rows={2}
              maxLength={500}
              value={reasonText}
              onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <label class="field">
            <span>{t("orders.instructions")}</span>
            <textarea
              rows={2}
              maxLength={500}
              value={instructions}
              onInput={(e) => setInstructions((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <p class="hint">{t("orders.freeTextNote")}</p>
          <button type="submit" class="secondary" disabled={busy}>
            {t("orders.preview")}
          </button>
        </form>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div aria-live="polite">
          {preview && (
            <div class="order-preview" data-testid="order-preview">
              <p>
                {t("orders.reach", { count: preview.reached })}{" "}
                {t("orders.municipalities", {
                  names: preview.municipalities.map((c) => towns.find((m) => m.code === c)?.name ?? c).join("、"),
                })}
              </p>
              <button type="button" class="primary" disabled={busy} onClick={() => void run(false)}>
                {t("orders.send")}
              </button>
            </div>
          )}
          {sent && (
            <p class="ok" data-testid="order-sent">
              {t("orders.done", { count: sent.reached })}
            </p>
          )}
        </div>
      </section>
      <SentList refresh={refresh} />
    </>
  );
}
