import { useEffect, useRef, useState } from "preact/hooks";
import { language, t } from "../../i18n";
import { langAttribute, localName, type Named, scriptLang } from "../../lib/names";
import { outboxItems } from "../../lib/outboxStore";
import { useQuery } from "../../lib/useQuery";
import {
  checkOut,
  type HouseholdView,
  openShelters,
  people,
  suppliesShort,
  transfer,
  updateShelter,
  walkInQrUrl,
} from "./api";
import { Counter } from "./Counter";
import { chooseShelter, here, occupancy, shelter, useOccupancy } from "./store";

/** The shelters' names in other scripts (the staff's list has the Japanese one only). */
function useNames(): (s: { shelterId: string; name: string }) => Named {
  const known = useQuery(language.value === "en" ? "open-names" : null, openShelters);
  return (s) => (known.state === "done" ? known.value.find((o) => o.shelterId === s.shelterId) : undefined) ?? s;
}

function ShelterPicker() {
  const list = occupancy.value ?? [];
  const chosen = shelter.value;
  const named = useNames();
  if (list.length === 0) return <p class="muted">{t("staff.noShelters")}</p>;
  return (
    <label class="field">
      <span>{t("staff.shelter")}</span>
      <select
        value={chosen?.id ?? ""}
        onChange={(e) => {
          const id = (e.target as HTMLSelectElement).value;
          const found = list.find((s) => s.shelterId === id);
          if (found) chooseShelter({ id, name: found.name });
        }}
      >
        {!chosen && <option value="">{t("staff.choose")}</option>}
        {list.map((s) => (
          <option
            key={s.shelterId}
            value={s.shelterId}
            lang={scriptLang(s.eventName) ?? langAttribute(localName(named(s), language.value).lang)}
          >
            {localName(named(s), language.value).text} ({s.eventName})
          </option>
        ))}
      </select>
    </label>
  );
}

function People({ shelterId }: { shelterId: string }) {
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  // Each answer reads (and audit-logs) the households it lists: ask once typing pauses.
  useEffect(() => {
    const timer = setTimeout(() => setSearch(typed.trim()), 400);
    return () => clearTimeout(timer);
  }, [typed]);
  const sent = outboxItems.value.filter((i) => i.state === "sent").length;
  // The last answer stays on screen while the next loads (a list being worked on does not vanish).
  const last = useRef<HouseholdView[] | null>(null);
  const query = useQuery(`${shelterId}|${search}|${sent}`, () => people(shelterId, search));
  if (query.state === "done") last.current = query.value;
  const shown = query.state === "error" ? null : last.current;
  return (
    <section class="panel" aria-labelledby="people-title">
      <h2 id="people-title">{t("staff.people")}</h2>
      <label class="field">
        <span>{t("staff.search")}</span>
        <input type="search" value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
      </label>
      {query.state === "loading" && <p role="status">{t("staff.loading")}</p>}
      {query.state === "error" && <p class="error">{query.reason}</p>}
      {shown?.length === 0 && <p class="muted">{t("staff.nobody")}</p>}
      {shown && (
        <ul class="households">
          {shown.map((h) => (
            <Household key={h.householdId} household={h} shelterId={shelterId} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Transfer({ household, shelterId, inside }: { household: HouseholdView; shelterId: string; inside: string[] }) {
  const [open, setOpen] = useState(false);
  const [to, setTo] = useState("");
  const others = useQuery(open ? "open" : null, openShelters);
  if (!open) {
    return (
      <button type="button" class="secondary" onClick={() => setOpen(true)}>
        {t("staff.transfer")}
      </button>
    );
  }
  const choices = others.state === "done" ? others.value.filter((s) => s.shelterId !== shelterId) : [];
  const target = choices.find((s) => s.shelterId === to);
  return (
    <div class="transfer">
      <label class="field">
        <span>{t("staff.transferTo")}</span>
        <select value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
          <option value="">{t("staff.choose")}</option>
          {choices.map((s) => (
            <option
              key={s.shelterId}
              value={s.shelterId}
              lang={scriptLang(s.name)}
              disabled={s.status === "closed" || s.status === "full"}
            >
              {s.name} — {t(`status.${s.status}`)} {s.people}
              {s.capacity ? `/${s.capacity}` : ""}
            </option>
          ))}
        </select>
      </label>
      {others.state === "error" && <p class="error">{others.reason}</p>}
      <button
        type="button"
        class="primary"
        disabled={!target}
        onClick={() => {
          if (!target) return;
          void transfer(
            { shelterId, toShelterId: target.shelterId, householdId: household.householdId, memberIds: inside },
            t("staff.transferLabel", {
              names: household.members
                .filter((m) => m.inside)
                .map((m) => m.name)
                .join("・"),
              shelter: target.name,
            }),
          );
          setOpen(false);
        }}
      >
        {t("staff.transferGo", { count: inside.length })}
      </button>
    </div>
  );
}

function Household({ household, shelterId }: { household: HouseholdView; shelterId: string }) {
  const inside = household.members.filter((m) => m.inside);
  return (
    <li class="household">
      <ul>
        {household.members.map((m) => (
          <li key={m.id}>
            <strong lang={scriptLang(m.name)}>{m.name}</strong>{" "}
            {m.kana && (
              <span class="muted" lang={scriptLang(m.kana)}>
                {m.kana}
              </span>
            )}{" "}
            {!m.inside && <span class="badge">{t("staff.notInside")}</span>}
            {m.needs.map((need) => (
              <span key={need} class="badge care">
                {t(`care.${need}`)}
              </span>
            ))}
          </li>
        ))}
      </ul>
      {household.walkIn && household.familyNotReached && (
        <p class="muted">
          {t("walkin.familyNotReached")}: {household.familyNotReached}
        </p>
      )}
      <div class="buttons">
        {inside.length > 0 && (
          <button
            type="button"
            class="secondary"
            onClick={() =>
              void checkOut(
                { shelterId, householdId: household.householdId, memberIds: inside.map((m) => m.id) },
                t("staff.checkOutLabel", { names: inside.map((m) => m.name).join("・") }),
              )
            }
          >
            {t("staff.checkOut", { count: inside.length })}
          </button>
        )}
        {inside.length > 0 && <Transfer household={household} shelterId={shelterId} inside={inside.map((m) => m.id)} />}
        {household.walkIn && (
          <a
            class="button secondary"
            href={walkInQrUrl(shelterId, household.householdId)}
            target="_blank"
            rel="noopener"
          >
            {t("walkin.printQr")}
          </a>
        )}
      </div>
    </li>
  );
}

function ShelterState({ shelterId }: { shelterId: string }) {
  const now = here.value;
  const [saved, setSaved] = useState(false);
  if (!now) return null;
  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const capacity = Number(form.get("capacity"));
    await updateShelter(
      shelterId,
      {
        status: form.get("closed") ? "closed" : "open",
        ...(capacity > 0 ? { capacity } : {}),
        petsAccepted: Boolean(form.get("pets")),
        needs: {
          suppliesShort: String(form.get("supplies") ?? ""),
          sick: Number(form.get("sick") || 0),
          incidents: String(form.get("incidents") ?? ""),
        },
      },
      t("staff.updateLabel", { shelter: now?.name ?? "" }),
    );
    setSaved(true);
  }
  return (
    <form class="panel" onSubmit={(e) => void submit(e)} onInput={() => setSaved(false)}>
      <h2>{t("staff.state")}</h2>
      <label class="field">
        <span>{t("staff.capacity")}</span>
        <input name="capacity" type="number" min={1} inputMode="numeric" defaultValue={String(now.capacity ?? "")} />
      </label>
      <label class="toggle">
        <input name="pets" type="checkbox" defaultChecked={now.petsAccepted} />
        <span>{t("staff.pets")}</span>
      </label>
      <label class="field">
        <span>{t("staff.supplies")}</span>
        <input name="supplies" defaultValue={suppliesShort(now.needs)} />
      </label>
      <label class="field">
        <span>{t("staff.sick")}</span>
        <input name="sick" type="number" min={0} inputMode="numeric" defaultValue={String(now.needs.sick ?? 0)} />
      </label>
      <label class="field">
        <span>{t("staff.incidents")}</span>
        <textarea name="incidents" defaultValue={now.needs.incidents ?? ""} />
      </label>
      <label class="toggle">
        <input name="closed" type="checkbox" defaultChecked={now.status === "closed"} />
        <span>{t("staff.closed")}</span>
      </label>
      <button type="submit" class="primary">
        {t("staff.save")}
      </button>
      {saved && <p role="status">{t("staff.saved")}</p>}
    </form>
  );
}

export function ShelterScreen() {
  const error = useOccupancy();
  const chosen = shelter.value;
  return (
    <div class="panels">
      <section class="panel">
        <ShelterPicker />
        {error && <p class="error">{error}</p>}
      </section>
      {chosen && <Counter />}
      {chosen && <People shelterId={chosen.id} />}
      {chosen && <ShelterState shelterId={chosen.id} />}
    </div>
  );
}
