import { useState } from "preact/hooks";
import { MOBILITY, type Mobility } from "../household";
import { t } from "../i18n";
import { outbox, outboxItems } from "../outboxStore";
import { STAYS, type Stay, shelter } from "./store";

const DAMAGE = ["unknown", "none", "partial", "half", "major", "total"] as const;
const UTILITIES = ["power", "water", "gas", "phone"] as const;

interface Person {
  name: string;
  kana: string;
  birthDate: string;
  mobility: Mobility;
  medication: string;
  allergy: string;
  pregnancy: boolean;
  infant: boolean;
  languageNeeds: string;
}

const person = (): Person => ({
  name: "",
  kana: "",
  birthDate: "",
  mobility: "walks",
  medication: "",
  allergy: "",
  pregnancy: false,
  infant: false,
  languageNeeds: "",
});
const orNull = (text: string) => text.trim() || null;

/** The digital evacuee card (避難者カード) for people without the app: registered and checked in
 * through the outbox; their printable code is shown once the server has them. */
export function WalkInScreen() {
  const chosen = shelter.value;
  const [people, setPeople] = useState<Person[]>([person()]);
  const [sentId, setSentId] = useState<string | null>(null);
  const item = outboxItems.value.find((i) => i.id === sentId);
  if (!chosen) {
    return (
      <section class="panel">
        <p>{t("staff.chooseFirst")}</p>
      </section>
    );
  }
  const shelterId = chosen.id;

  function update(index: number, change: Partial<Person>) {
    setPeople(people.map((p, i) => (i === index ? { ...p, ...change } : p)));
  }

  async function submit(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const text = (name: string) => orNull(String(form.get(name) ?? ""));
    const named = people.filter((p) => p.name.trim());
    const contactName = text("contactName");
    const contactPhone = text("contactPhone");
    const pets = Number(form.get("pets") || 0);
    const card = {
      members: named.map((p, i) => ({
        name: p.name.trim(),
        kana: orNull(p.kana),
        relationship: i === 0 ? "self" : "other",
        birthDate: orNull(p.birthDate),
        careNeeds: {
          mobility: p.mobility,
          medication: orNull(p.medication),
          allergy: orNull(p.allergy),
          pregnancy: p.pregnancy,
          infant: p.infant,
          languageNeeds: orNull(p.languageNeeds),
        },
      })),
      address: text("address"),
      phone: text("phone"),
      stay: String(form.get("stay")) as Stay,
      houseDamage: String(form.get("houseDamage")),
      utilitiesOut: UTILITIES.filter((u) => form.get(`utility-${u}`)),
      neededSupplies: text("supplies"),
      familyNotReached: text("family"),
      emergencyContact: contactName && contactPhone ? { name: contactName, phone: contactPhone } : null,
      pets: pets > 0 ? [{ kind: "other", count: pets }] : [],
      consents: {
        shareStatusWithFamily: Boolean(form.get("consent")),
        answerSafetyInquiries: Boolean(form.get("consent")),
      },
    };
    const queued = await outbox.enqueue({
      method: "POST",
      url: `/api/shelters/${shelterId}/walkins`,
      body: card,
      label: t("walkin.label", { names: named.map((p) => p.name.trim()).join("・") }),
    });
    setSentId(queued.id);
    setPeople([person()]);
    formElement.reset();
  }

  const result = item?.state === "sent" ? (item.result as { householdId?: string } | undefined) : undefined;
  return (
    <div class="panels walkin">
      {item && (
        <section class="panel" role="status">
          {item.state === "sent" && result?.householdId ? (
            <div class="print-card walkin-card">
              <p>{t("walkin.registered")}</p>
              <img
                class="qr"
                src={`/api/shelters/${shelterId}/walkins/${result.householdId}/qr.svg`}
                alt={t("walkin.qrAlt")}
                width={220}
                height={220}
              />
              <button type="button" class="primary" onClick={() => window.print()}>
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
        {people.map((p, i) => (
          <fieldset key={i} class="member-card">
            <legend>{t("walkin.person", { n: i + 1 })}</legend>
            <label class="field">
              <span>{t("myinfo.name")}</span>
              <input value={p.name} required={i === 0} onInput={(e) => update(i, { name: e.currentTarget.value })} />
            </label>
            <label class="field">
              <span>{t("walkin.kana")}</span>
              <input value={p.kana} onInput={(e) => update(i, { kana: e.currentTarget.value })} />
            </label>
            <label class="field">
              <span>{t("myinfo.birthDate")}</span>
              <input type="date" value={p.birthDate} onInput={(e) => update(i, { birthDate: e.currentTarget.value })} />
            </label>
            <label class="field">
              <span>{t("myinfo.mobility")}</span>
              <select value={p.mobility} onChange={(e) => update(i, { mobility: e.currentTarget.value as Mobility })}>
                {MOBILITY.map((m) => (
                  <option key={m} value={m}>
                    {t(`mobility.${m}`)}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              <span>{t("care.medication")}</span>
              <input value={p.medication} onInput={(e) => update(i, { medication: e.currentTarget.value })} />
            </label>
            <label class="field">
              <span>{t("care.allergy")}</span>
              <input value={p.allergy} onInput={(e) => update(i, { allergy: e.currentTarget.value })} />
            </label>
            <label class="field">
              <span>{t("care.languageNeeds")}</span>
              <input value={p.languageNeeds} onInput={(e) => update(i, { languageNeeds: e.currentTarget.value })} />
            </label>
            <label class="toggle">
              <input
                type="checkbox"
                checked={p.pregnancy}
                onChange={(e) => update(i, { pregnancy: e.currentTarget.checked })}
              />
              <span>{t("care.pregnancy")}</span>
            </label>
            <label class="toggle">
              <input
                type="checkbox"
                checked={p.infant}
                onChange={(e) => update(i, { infant: e.currentTarget.checked })}
              />
              <span>{t("care.infant")}</span>
            </label>
            {people.length > 1 && (
              <button type="button" class="secondary" onClick={() => setPeople(people.filter((_, j) => j !== i))}>
                {t("walkin.removePerson")}
              </button>
            )}
          </fieldset>
        ))}
        <button type="button" class="secondary" onClick={() => setPeople([...people, person()])}>
          {t("walkin.addPerson")}
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
