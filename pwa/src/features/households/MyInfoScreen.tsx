import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { TARGET_GROUPS } from "../../api/values";
import { t } from "../../i18n";
import { outboxItems } from "../../lib/outboxStore";
import { PasskeyButtons } from "../accounts/Passkeys";
import { ensureResident, me, recoveryCode } from "../accounts/session";
import { InquiryCode } from "../safety/InquiryCode";
import { HOUSEHOLD_URL, type Household, householdQrUrl, type Member, memberQrUrl, PET_KINDS } from "./api";
import { household, newMember, saveHousehold, syncHousehold } from "./household";
import { MemberFields } from "./MemberFields";
import { matchingGroups } from "./welfare";

let timer: ReturnType<typeof setTimeout> | undefined;

/** Apply an edit now (on screen and on the phone) and send it a moment after typing stops. */
function edit(change: (h: Household) => void): void {
  const next = structuredClone(household.value);
  change(next);
  household.value = next;
  clearTimeout(timer);
  timer = setTimeout(() => void saveHousehold(next, t("myinfo.outboxLabel")), 800);
}

const text = (value: string) => (value.trim() === "" ? null : value);

function SaveState() {
  const item = [...outboxItems.value].reverse().find((i) => i.url === HOUSEHOLD_URL);
  const state = item?.state;
  const message =
    state === "queued"
      ? t("myinfo.savedOnPhone")
      : state === "sending"
        ? t("outbox.sending")
        : state === "sent"
          ? t("myinfo.saved")
          : state === "failed"
            ? `${t("outbox.failed")}: ${item?.reason ?? ""}`
            : null;
  return (
    <p class="save-state" role="status">
      {message}
    </p>
  );
}

/** Keeps the screen on while the code is shown: a queue at the door is slow, and a dark screen
 * makes the resident unlock and look for the code again. Where the browser cannot, it sleeps. */
function useWakeLock(): void {
  useEffect(() => {
    let lock: WakeLockSentinel | undefined;
    let released = false;
    const take = () => {
      if (document.visibilityState !== "visible" || !("wakeLock" in navigator)) return;
      navigator.wakeLock.request("screen").then(
        (taken) => {
          if (released) void taken.release();
          else lock = taken;
        },
        () => undefined,
      );
    };
    take();
    // The browser lets go when the page is hidden: take it again on return.
    document.addEventListener("visibilitychange", take);
    return () => {
      released = true;
      document.removeEventListener("visibilitychange", take);
      void lock?.release();
    };
  }, []);
}

function QrView({ onClose }: { onClose: () => void }) {
  const members = household.value.members.flatMap((m) => (m.id ? [{ ...m, id: m.id }] : []));
  const close = useRef<HTMLButtonElement>(null);
  useWakeLock();
  useEffect(() => {
    close.current?.focus();
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div class="qr-full" role="dialog" aria-modal="true" aria-labelledby="qr-title">
      <div class="qr-bar">
        <h2 id="qr-title">{t("myinfo.qrTitle")}</h2>
        <button type="button" class="primary" ref={close} onClick={onClose}>
          {t("sheet.close")}
        </button>
      </div>
      <img src={householdQrUrl} alt={t("myinfo.qrAlt")} class="qr" />
      <p>{t("myinfo.qrHint")}</p>
      <InquiryCode />
      {members.length > 1 && (
        <details>
          <summary>{t("myinfo.memberQrs")}</summary>
          {members.map((m) => (
            <figure key={m.id}>
              <img src={memberQrUrl(m.id)} alt={t("myinfo.memberQrAlt", { name: m.name })} class="qr small" />
              <figcaption>{m.name}</figcaption>
            </figure>
          ))}
        </details>
      )}
      <div class="actions">
        <button type="button" class="secondary" onClick={() => window.print()}>
          {t("myinfo.print")}
        </button>
      </div>
      <section class="print-card" aria-label={t("myinfo.card")}>
        <h3>{t("myinfo.card")}</h3>
        <img src={householdQrUrl} alt="" class="qr" />
        <p>{household.value.members.map((m) => m.name).join("・")}</p>
        <InquiryCode />
        {household.value.emergencyContact && (
          <p>
            {t("myinfo.contact")}: {household.value.emergencyContact.name} {household.value.emergencyContact.phone}
          </p>
        )}
      </section>
    </div>
  );
}

export function MyInfoScreen() {
  const [showQr, setShowQr] = useState(false);
  useEffect(() => {
    void ensureResident().then(() => syncHousehold());
  }, []);
  const h = household.value;
  // The server has the household once it gave ids, or once this phone's copy has been sent.
  const saved =
    h.members.some((m) => m.id) || outboxItems.value.some((i) => i.url === HOUSEHOLD_URL && i.state === "sent");
  const hideQr = useCallback(() => setShowQr(false), []);

  if (showQr) return <QrView onClose={hideQr} />;
  // The welfare shelters' target groups the household's care needs match (none: no note).
  const welfare = matchingGroups(TARGET_GROUPS, h);
  return (
    <div class="panels myinfo">
      {recoveryCode.value && (
        <section class="panel recovery" role="alert">
          <h2>{t("myinfo.recoveryTitle")}</h2>
          <p>{t("myinfo.recoveryBody")}</p>
          <p class="code">{recoveryCode.value}</p>
          <p class="muted">{t("myinfo.accountId", { id: me.value?.id ?? "" })}</p>
          <button type="button" class="primary" onClick={() => (recoveryCode.value = null)}>
            {t("myinfo.recoveryDone")}
          </button>
        </section>
      )}
      <section class="panel">
        <h2>{t("myinfo.title")}</h2>
        <p>{t("myinfo.intro")}</p>
        <SaveState />
        {saved && (
          <button
            type="button"
            class="primary big"
            onClick={() => {
              setShowQr(true);
              void syncHousehold(); // the members' ids, for their own codes
            }}
          >
            {t("myinfo.showQr")}
          </button>
        )}
      </section>

      {h.members.map((member, i) => (
        <MemberFields
          key={member.id ?? `new-${i}`}
          member={member}
          n={i + 1}
          onChange={(change) => edit((d) => change(d.members[i] as Member))}
          onRemove={h.members.length > 1 ? () => edit((d) => void d.members.splice(i, 1)) : undefined}
        />
      ))}
      <button
        type="button"
        class="secondary"
        onClick={() =>
          edit((d) => {
            d.members.push(newMember("child"));
          })
        }
      >
        {t("myinfo.addMember")}
      </button>
      {welfare.length > 0 && (
        <p class="notice" data-testid="welfare-note">
          {t("myinfo.welfare", { groups: welfare.map((g) => t(`target.${g}`)).join("・") })}
        </p>
      )}

      <fieldset class="panel">
        <legend>{t("myinfo.pets")}</legend>
        {h.pets.map((pet, i) => (
          <div class="pet" key={`pet-${i}`}>
            <label class="field">
              <span>{t("myinfo.petKind")}</span>
              <select
                value={pet.kind}
                onChange={(e) =>
                  edit((d) => {
                    (d.pets[i] as typeof pet).kind = e.currentTarget.value as typeof pet.kind;
                  })
                }
              >
                {PET_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {t(`pet.${k}`)}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              <span>{t("myinfo.petCount")}</span>
              <input
                type="number"
                min={1}
                max={50}
                value={pet.count}
                onInput={(e) =>
                  edit((d) => {
                    (d.pets[i] as typeof pet).count = Math.max(1, Number(e.currentTarget.value) || 1);
                  })
                }
              />
            </label>
            <label class="toggle">
              <input
                type="checkbox"
                checked={pet.wantsToBring}
                onChange={(e) =>
                  edit((d) => {
                    (d.pets[i] as typeof pet).wantsToBring = e.currentTarget.checked;
                  })
                }
              />
              {t("myinfo.petBring")}
            </label>
            <button
              type="button"
              class="secondary"
              onClick={() =>
                edit((d) => {
                  d.pets.splice(i, 1);
                })
              }
            >
              {t("myinfo.removePet")}
            </button>
          </div>
        ))}
        <button
          type="button"
          class="secondary"
          onClick={() =>
            edit((d) => {
              d.pets.push({ kind: "dog", count: 1, wantsToBring: true });
            })
          }
        >
          {t("myinfo.addPet")}
        </button>
      </fieldset>

      <fieldset class="panel">
        <legend>{t("myinfo.contact")}</legend>
        {(["name", "phone", "relationship"] as const).map((field) => (
          <label class="field" key={field}>
            <span>{t(`contact.${field}`)}</span>
            <input
              type={(field === "phone" ? "tel" : "text") as "text"}
              value={h.emergencyContact?.[field] ?? ""}
              onInput={(e) =>
                edit((d) => {
                  const contact = d.emergencyContact ?? { name: "", phone: "", relationship: null };
                  const value = e.currentTarget.value;
                  if (field === "relationship") contact.relationship = text(value);
                  else contact[field] = value;
                  d.emergencyContact = contact; // sent once it has a name and a phone
                })
              }
            />
          </label>
        ))}
      </fieldset>

      <fieldset class="panel">
        <legend>{t("myinfo.home")}</legend>
        <p>{h.home ? `${h.home.lat.toFixed(4)}, ${h.home.lon.toFixed(4)}` : t("myinfo.homeUnset")}</p>
        <button
          type="button"
          class="secondary"
          onClick={() =>
            navigator.geolocation?.getCurrentPosition((p) =>
              edit((d) => {
                d.home = { lat: p.coords.latitude, lon: p.coords.longitude, address: d.home?.address ?? null };
              }),
            )
          }
        >
          {t("myinfo.homeHere")}
        </button>
      </fieldset>

      <fieldset class="panel">
        <legend>{t("myinfo.consents")}</legend>
        {(["shareStatusWithFamily", "answerSafetyInquiries"] as const).map((field) => (
          <label class="toggle" key={field}>
            <input
              type="checkbox"
              checked={h.consents[field]}
              onChange={(e) =>
                edit((d) => {
                  d.consents[field] = e.currentTarget.checked;
                })
              }
            />
            {t(`consent.${field}`)}
          </label>
        ))}
      </fieldset>
      <section class="panel">
        <h2>{t("passkey.title")}</h2>
        <p>{t("passkey.intro")}</p>
        <PasskeyButtons add signIn onSignedIn={() => void syncHousehold()} />
      </section>
      <SaveState />
    </div>
  );
}
