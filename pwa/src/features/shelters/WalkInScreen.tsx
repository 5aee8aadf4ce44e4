import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../../i18n";
import { scriptLang } from "../../lib/names";
import { outboxItems } from "../../lib/outboxStore";
import type { Member } from "../households/api";
import { emptyHousehold, newMember, sendable } from "../households/household";
import { MemberFields } from "../households/MemberFields";
import { registerWalkIn, STAYS, type Stay, type WalkIn, walkInQrUrl } from "./api";
import { shelter, useOccupancy } from "./store";

const DAMAGE = ["unknown", "none", "partial", "half", "major", "total"] as const;
const UTILITIES = ["power", "water", "gas", "phone"] as const;

/** The digital evacuee card (避難者カード) for people without the app: registered and checked in
 * through the outbox; their printable code is shown once the server has them. */
export function WalkInScreen() {
  const chosen = shelter.value;
  useOccupancy();
  const [members, setMembers] = useState<Member[]>([newMember("self")]);
  const [sent, setSent] = useState<{ id: string; members: Member[] } | null>(null);
  const item = outboxItems.value.find((i) => i.id === sent?.id);
  const status = useRef<HTMLElement>(null);
  // What became of the card (queued, then its code to print) is at the top: brought into view
  // from the bottom of the form where the button was, and focused for screen readers.
  useEffect(() => {
    status.current?.scrollIntoView({ block: "start" });
    status.current?.focus({ preventScroll: true });
  }, [sent, item?.state]);
  if (!chosen) {
    return (
      <section class="panel">
        <p>{t("staff.chooseFirst")}</p>
      </section>
    );
  }
  const shelterId = chosen.id;

  function update(index: number, change: (m: Member) => void) {
    setMembers(
      members.map((m, i) => {
        if (i !== index) return m;
        const copy = structuredClone(m);
        change(copy);
        return copy;
      }),
    );
  }

  async function submit(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const text = (name: string) => String(form.get(name) ?? "").trim() || null;
    const pets = Number(form.get("pets") || 0);
    const consent = Boolean(form.get("consent"));
    const household = sendable({
      ...emptyHousehold(),
      members,
      pets: pets > 0 ? [{ kind: "other", count: pets, wantsToBring: true }] : [],
      emergencyContact: { name: text("contactName") ?? "", phone: text("contactPhone") ?? "", relationship: null },
      consents: { shareStatusWithFamily: consent, answerSafetyInquiries: consent },
    });
    const card: WalkIn = {
      ...household,
      address: text("address"),
      phone: text("phone"),
      stay: String(form.get("stay")) as Stay,
      houseDamage: String(form.get("houseDamage")),
      utilitiesOut: UTILITIES.filter((u) => form.get(`utility-${u}`)),
      neededSupplies: text("supplies"),
      familyNotReached: text("family"),
    };
    const queued = await registerWalkIn(
      shelterId,
      card,
      t("walkin.label", { names: household.members.map((m) => m.name).join("・") }),
    );
    setSent({ id: queued.id, members });
    setMembers([newMember("self")]);
    formElement.reset();
  }

  const result = item?.state === "sent" ? (item.result as { householdId?: string } | undefined) : undefined;
  return (
    <div class="panels walkin">
      {item && (
        <section class="panel" role="status" ref={status} tabIndex={-1}>
          {item.state === "sent" && result?.householdId ? (
            <div class="print-card walkin-card">
              <p class="no-print">{t("walkin.registered")}</p>
              {/* The printed card says whose it is: names and kana beside the code. */}
              <ul class="card-names">
                {sent?.members.map((m) => (
                  <li key={`${m.name}-${m.kana}-${m.birthDate}`}>
                    <strong lang={scriptLang(m.name)}>{m.name}</strong>
                    {m.kana && <span lang={scriptLang(m.kana)}> （{m.kana}）</span>}
                  </li>
                ))}
              </ul>
              <img
                class="qr"
                src={walkInQrUrl(shelterId, result.householdId)}
                alt={t("walkin.qrAlt")}
                width={220}
                height={220}
              />
              <button type="button" class="primary no-print" onClick={() => window.print()}>
                {t("walkin.print")}
              </button>
            </div>
          ) : item.state === "failed" ? (
            <p class="error">{t("walkin.failed", { reason: item.reason ?? "" })}</p>
          ) : (
            <p>{t("walkin.queued")}</p>
          )}
        </section>
      )}
      <form class="panel" onSubmit={(e) => void submit(e)}>
        <h2>{t("walkin.title")}</h2>
        {members.map((member, i) => (
          <MemberFields
            key={i}
            member={member}
            n={i + 1}
            onChange={(change) => update(i, change)}
            onRemove={members.length > 1 ? () => setMembers(members.filter((_, j) => j !== i)) : undefined}
          />
        ))}
        <button type="button" class="secondary" onClick={() => setMembers([...members, newMember("other")])}>
          {t("myinfo.addMember")}
        </button>
        <label class="field">
          <span>{t("walkin.address")}</span>
          <input name="address" autoComplete="off" />
        </label>
        <label class="field">
          <span>{t("walkin.phone")}</span>
          <input name="phone" type="tel" autoComplete="off" />
        </label>
        <fieldset>
          <legend>{t("scan.stay")}</legend>
          {STAYS.map((s) => (
            <label key={s} class="toggle">
              <input type="radio" name="stay" value={s} defaultChecked={s === "inside"} />
              <span>{t(`stay.${s}`)}</span>
            </label>
          ))}
        </fieldset>
        <label class="field">
          <span>{t("walkin.houseDamage")}</span>
          <select name="houseDamage">
            {DAMAGE.map((d) => (
              <option key={d} value={d}>
                {t(`damage.${d}`)}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>{t("walkin.utilitiesOut")}</legend>
          {UTILITIES.map((u) => (
            <label key={u} class="toggle">
              <input type="checkbox" name={`utility-${u}`} />
              <span>{t(`utility.${u}`)}</span>
            </label>
          ))}
        </fieldset>
        <label class="field">
          <span>{t("walkin.pets")}</span>
          <input name="pets" type="number" min={0} max={50} inputMode="numeric" defaultValue="0" />
        </label>
        <label class="field">
          <span>{t("walkin.supplies")}</span>
          <textarea name="supplies" />
        </label>
        <label class="field">
          <span>{t("walkin.familyNotReached")}</span>
          <textarea name="family" />
        </label>
        <label class="field">
          <span>{t("walkin.contactName")}</span>
          <input name="contactName" autoComplete="off" />
        </label>
        <label class="field">
          <span>{t("walkin.contactPhone")}</span>
          <input name="contactPhone" type="tel" autoComplete="off" />
        </label>
        <label class="toggle">
          <input type="checkbox" name="consent" />
          <span>{t("walkin.consent")}</span>
        </label>
        <button type="submit" class="primary big">
          {t("walkin.submit")}
        </button>
      </form>
    </div>
  );
}
