import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../../api/client";
import { Japanese } from "../../components/Name";
import { t, tParts } from "../../i18n";
import { scriptLang } from "../../lib/names";
import { reason } from "../../lib/useQuery";
import type { PublicKey } from "../households/api";
import { type Checked, checkCode, signingKeys } from "../households/qrcheck";
import { checkIn, type HouseholdView, STAYS, type Stay, verifyQr } from "./api";
import { Counter } from "./Counter";
import { qrDetector, readImage, scanCamera } from "./scanner";
import { shelter, useOccupancy } from "./store";

type Scan =
  | { state: "idle" }
  | { state: "reading" }
  | { state: "refused"; why: string }
  | {
      state: "verified";
      code: string;
      checked: Checked & { ok: true };
      view: HouseholdView | null;
      member: string | null;
    }
  | { state: "done"; people: number | null };

/** Scan a resident's code at the door: checked on the device, members shown when online, then
 * checked in with one tap through the outbox (kept and sent when the network allows). */
export function ScanScreen() {
  const [scan, setScan] = useState<Scan>({ state: "idle" });
  const scanRef = useRef(scan);
  scanRef.current = scan;
  const [keys, setKeys] = useState<PublicKey[] | null>(null);
  const [readerReady, setReaderReady] = useState(false);
  const [camera, setCamera] = useState<{ stop: () => void } | null>(null);
  const cameraRef = useRef(camera);
  cameraRef.current = camera;
  const [cameraError, setCameraError] = useState<string | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  const result = useRef<HTMLDivElement>(null);
  const chosen = shelter.value;
  useOccupancy();

  // After each scan the outcome is in view (and announced by the live region).
  useEffect(() => {
    if (scan.state === "done" || scan.state === "refused") {
      result.current?.scrollIntoView({ block: "nearest" });
      if (scan.state === "done") result.current?.focus({ preventScroll: true });
    }
  }, [scan]);

  useEffect(() => {
    void signingKeys().then(setKeys);
    // Fetch the reader now, so scanning still works when the network goes.
    qrDetector().then(
      () => setReaderReady(true),
      () => undefined,
    );
    return () => cameraRef.current?.stop();
  }, []);

  async function handle(text: string | null) {
    if (text === null) {
      setScan({ state: "refused", why: t("scan.noCode") });
      return;
    }
    const checked = await checkCode(text, keys ?? (await signingKeys()));
    if (!checked.ok) {
      setScan({ state: "refused", why: t(`scan.refused.${checked.why}`) });
      return;
    }
    try {
      const answer = await verifyQr(text, chosen?.id);
      setScan({ state: "verified", code: text, checked, view: answer.view ?? null, member: answer.member });
    } catch (error) {
      if (error instanceof ApiError && error.offline) {
        setScan({ state: "verified", code: text, checked, view: null, member: null });
      } else {
        setScan({ state: "refused", why: reason(error) });
      }
    }
  }

  async function fromFile(event: Event) {
    const input = event.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    setScan({ state: "reading" });
    try {
      await handle(await readImage(file));
    } catch (error) {
      setScan({ state: "refused", why: reason(error) });
    }
  }

  async function toggleCamera() {
    if (camera) {
      camera.stop();
      setCamera(null);
      return;
    }
    setCameraError(null);
    try {
      const current = video.current;
      if (!current) return;
      // A code read while a household is being confirmed waits: the camera keeps running.
      setCamera(await scanCamera(current, (text) => scanRef.current.state !== "verified" && void handle(text)));
    } catch (error) {
      setCameraError(t("scan.cameraError", { reason: reason(error) }));
    }
  }

  if (!chosen) {
    return (
      <section class="panel">
        <p>{t("staff.chooseFirst")}</p>
      </section>
    );
  }
  return (
    <div class="panels scan">
      <Counter compact />
      {/* While a household is confirmed the reader steps aside: the confirm panel and its button
          sit where the reader was, on the first screen of a phone. */}
      <section class="panel" data-reader={readerReady && keys ? "ready" : "loading"} hidden={scan.state === "verified"}>
        <h2>{tParts("scan.title", {}, { shelter: <Japanese text={chosen.name} /> })}</h2>
        <video ref={video} class="camera" muted playsInline hidden={!camera} aria-label={t("scan.camera")} />
        <div class="buttons">
          <button type="button" class="primary" onClick={() => void toggleCamera()}>
            {camera ? t("scan.stopCamera") : t("scan.startCamera")}
          </button>
          <label class="button secondary">
            {t("scan.fromPhoto")}
            <input
              type="file"
              accept="image/*"
              capture="environment"
              class="visually-hidden"
              onChange={(e) => void fromFile(e)}
            />
          </label>
        </div>
        {cameraError && (
          <p class="error" role="alert">
            {cameraError}
          </p>
        )}
        <div role="status" aria-live="polite" ref={result} tabIndex={-1}>
          {scan.state === "reading" && <p>{t("scan.reading")}</p>}
          {scan.state === "done" && (
            <p class="ok">{scan.people === null ? t("scan.doneHousehold") : t("scan.done", { count: scan.people })}</p>
          )}
        </div>
        {scan.state === "refused" && (
          <p class="error" role="alert">
            {t("scan.refused", { reason: scan.why })}
          </p>
        )}
      </section>
      {scan.state === "verified" && (
        <Confirm
          scan={scan}
          shelterId={chosen.id}
          onDone={(people) => setScan({ state: "done", people })}
          onCancel={() => setScan({ state: "idle" })}
        />
      )}
    </div>
  );
}

function Confirm({
  scan,
  shelterId,
  onDone,
  onCancel,
}: {
  scan: Extract<Scan, { state: "verified" }>;
  shelterId: string;
  onDone: (people: number | null) => void;
  onCancel: () => void;
}) {
  const view = scan.view;
  const arriving = view?.members.filter((m) => !m.inside) ?? [];
  const [ticked, setTicked] = useState<Set<string>>(new Set(scan.member ? [scan.member] : arriving.map((m) => m.id)));
  const [stay, setStay] = useState<Stay>("inside");
  const everyone = view !== null && ticked.size === arriving.length;
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    // The button in view (a large household may not fit above it), its title read out first.
    panel.current?.querySelector(".buttons")?.scrollIntoView({ block: "nearest" });
    panel.current?.querySelector<HTMLElement>("h2")?.focus({ preventScroll: true });
  }, []);

  async function confirm(memberIds: string[] | null) {
    const body = { shelterId, qr: scan.code, stay, ...(memberIds ? { memberIds } : {}) };
    const people = memberIds?.length ?? view?.members.length ?? null;
    const label = view
      ? t("scan.label", { names: view.members.map((m) => m.name).join("・") })
      : t("scan.labelOffline", { id: scan.checked.opaqueId.slice(0, 6) });
    await checkIn(body, label);
    onDone(people);
  }

  return (
    <section class="panel confirm" aria-labelledby="confirm-title" ref={panel}>
      <div class="title-row">
        <h2 id="confirm-title" tabIndex={-1}>
          {scan.checked.kind === "member" ? t("scan.member") : t("scan.household")}
        </h2>
        <button type="button" class="secondary" onClick={onCancel}>
          {t("scan.cancel")}
        </button>
      </div>
      {view === null ? (
        <p>{t("scan.offlineVerified")}</p>
      ) : (
        <fieldset class="members">
          <legend>{t("scan.whoIsHere")}</legend>
          {view.members.map((m) => (
            <label key={m.id} class="toggle member">
              <input
                type="checkbox"
                checked={ticked.has(m.id)}
                disabled={m.inside}
                onChange={(e) => {
                  const next = new Set(ticked);
                  if ((e.target as HTMLInputElement).checked) next.add(m.id);
                  else next.delete(m.id);
                  setTicked(next);
                }}
              />
              <span>
                <strong lang={scriptLang(m.name)}>{m.name}</strong>{" "}
                {m.kana && (
                  <span class="muted" lang={scriptLang(m.kana)}>
                    {m.kana}
                  </span>
                )}
                {m.inside && <span class="badge">{t("scan.alreadyInside")}</span>}
                {m.needs.map((need) => (
                  <span key={need} class="badge care">
                    {t(`care.${need}`)}
                  </span>
                ))}
              </span>
            </label>
          ))}
          {view.pets.length > 0 && <p>{t("scan.pets", { count: view.pets.reduce((sum, p) => sum + p.count, 0) })}</p>}
        </fieldset>
      )}
      <label class="field">
        <span>{t("scan.stay")}</span>
        <select value={stay} onChange={(e) => setStay((e.target as HTMLSelectElement).value as Stay)}>
          {STAYS.map((s) => (
            <option key={s} value={s}>
              {t(`stay.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <div class="buttons">
        {view !== null && arriving.length === 0 ? (
          <p>{t("scan.allInside")}</p>
        ) : view === null || everyone ? (
          <button type="button" class="primary big" onClick={() => void confirm(null)}>
            {view === null ? t("scan.checkInHousehold") : t("scan.checkInAll", { count: arriving.length })}
          </button>
        ) : (
          <button
            type="button"
            class="primary big"
            disabled={ticked.size === 0}
            onClick={() => void confirm([...ticked])}
          >
            {t("scan.checkInSome", { count: ticked.size })}
          </button>
        )}
      </div>
    </section>
  );
}
