import { signal } from "@preact/signals";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, csrfHeader } from "../../api/client";
import { t } from "../../i18n";
import { formatDate } from "../../lib/format";
import { outbox, outboxItems } from "../../lib/outboxStore";
import { href } from "../../lib/router";
import { reason } from "../../lib/useQuery";
import { ensureResident, me, recoveryCode } from "../accounts/session";
import {
  askMember,
  type Consent,
  createGroup,
  familyPath,
  fetchMe,
  type Group,
  type GroupMember,
  type Invite,
  inviteLink,
  joinGroup,
  leaveGroup,
  MESSAGE_MAX,
  newInvite,
  removeMember,
  type SafetyMe,
  SET_STATUSES,
  type SetStatus,
  STATUS_URL,
  saveConsent,
} from "./api";
import { InquiryScreen } from "./InquiryScreen";
import { useLiveGroups } from "./live";
import { StatusLine } from "./StatusLine";
import { charactersLeft } from "./status";

// The hash after "#/resident/family/" (a join link's code, the inquiry page).
const hash = signal(globalThis.location?.hash ?? "");
globalThis.addEventListener?.("hashchange", () => {
  hash.value = location.hash;
});

const NAME_KEY = "bosai.family.myName";
const rememberedName = () => globalThis.localStorage?.getItem(NAME_KEY) ?? "";
const rememberName = (name: string) => name.trim() && globalThis.localStorage?.setItem(NAME_KEY, name.trim());

export function FamilyScreen() {
  const path = familyPath(hash.value);
  // The inquiry page is for anyone: it makes no account.
  if (path[0] === "inquiry") return <InquiryScreen />;
  return <Family joinCode={path[0] === "join" ? (path[1] ?? null) : null} />;
}

function Family({ joinCode }: { joinCode: string | null }) {
  // Settled once the account is known (or made); offline, a device that had a session still
  // queues its status (the outbox sends it with the kept CSRF token later).
  const [settled, setSettled] = useState(false);
  const ready = settled && me.value !== null;
  const canQueue = ready || (settled && "X-CSRF-Token" in csrfHeader());
  const [mine, setMine] = useState<SafetyMe | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [inviting, setInviting] = useState<{ group: Group | { name: string }; invite: Invite } | null>(null);
  useEffect(() => {
    void ensureResident().then(() => setSettled(true));
  }, []);
  const live = useLiveGroups(canQueue && me.value?.kind !== "operator");
  const loadMe = useCallback(() => {
    fetchMe().then(setMine, () => undefined);
  }, []);
  useEffect(() => {
    if (canQueue) loadMe();
  }, [canQueue, loadMe]);
  const close = useCallback(() => setInviting(null), []);

  if (inviting) return <InviteView group={inviting.group} invite={inviting.invite} onClose={close} />;
  if (me.value?.kind === "operator")
    return (
      <section class="panel">
        <p>{t("family.operator")}</p>
      </section>
    );
  const groups = live.groups ?? [];
  const asked = groups.flatMap((g) => (g.askedMe ?? []).map((a) => ({ ...a, group: g.name })));
  return (
    <div class="panels family">
      {recoveryCode.value && (
        // The account was made here: its recovery code is shown once, on my info.
        <p class="notice" role="alert">
          {t("family.recovery")} <a href={href("resident", "myinfo")}>{t("screen.myinfo")}</a>
        </p>
      )}
      {note && (
        <p class="notice" role="status">
          {note}
        </p>
      )}
      {joinCode && ready && (
        <JoinPanel
          code={joinCode}
          onDone={(message) => {
            setNote(message);
            location.hash = href("resident", "family");
            live.refresh();
          }}
        />
      )}
      <MyStatus
        enabled={canQueue}
        mine={mine}
        asked={asked}
        onSent={() => {
          loadMe();
          live.refresh();
        }}
      />
      {live.error && live.groups === null && <p class="error">{live.error}</p>}
      {groups.map((group) => (
        <GroupPanel
          key={group.id}
          group={group}
          onChange={(message) => {
            setNote(message);
            live.refresh();
          }}
          onInvite={(invite) => setInviting({ group, invite })}
        />
      ))}
      {ready && live.groups !== null && groups.length === 0 && <p class="hint">{t("family.noGroups")}</p>}
      <NewGroup
        enabled={ready}
        onMade={(group, invite) => {
          live.refresh();
          setInviting({ group, invite });
        }}
      />
      {mine && <ConsentPanel mine={mine} onSaved={setMine} />}
      {mine && (
        <p class="hint">
          {t("family.newsHint")} <a href="#/resident/alerts">{t("family.newsOpenAlerts")}</a>
        </p>
      )}
      <section class="panel">
        <h2>{t("family.inquiryTitle")}</h2>
        <p>{t("family.inquiryIntro")}</p>
        <a class="button secondary" href="#/resident/family/inquiry">
          {t("family.inquiryOpen")}
        </a>
      </section>
    </div>
  );
}

/** Join from an invite link: asked first (a link can come from anyone). */
function JoinPanel({ code, onDone }: { code: string; onDone: (message: string) => void }) {
  const [name, setName] = useState(rememberedName());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section class="panel join" aria-labelledby="join-title">
      <h2 id="join-title">{t("family.joinTitle")}</h2>
      <p>{t("family.joinBody")}</p>
      <label class="field">
        <span>{t("family.myName")}</span>
        <input value={name} maxLength={40} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </label>
      <div class="actions">
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            rememberName(name);
            joinGroup(code, name.trim() || null).then(
              (group) => onDone(t("family.joined", { group: group.name })),
              (failure: unknown) => {
                setBusy(false);
                setError(reason(failure));
              },
            );
          }}
        >
          {t("family.join")}
        </button>
        <a class="button secondary" href={href("resident", "family")}>
          {t("family.joinCancel")}
        </a>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

type Place = "none" | "coarse" | "exact";

function position(): Promise<{ lat: number; lon: number } | null> {
  return new Promise((resolve) => {
    if (!("geolocation" in navigator)) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      () => resolve(null),
      { timeout: 10_000, maximumAge: 60_000 },
    );
  });
}

/** My status: one tap on one of four buttons (the tab was the first); a message and a place if I wish. */
function MyStatus({
  enabled,
  mine,
  asked,
  onSent,
}: {
  enabled: boolean;
  mine: SafetyMe | null;
  asked: { personId: string; name: string | null; at: string; group: string }[];
  onSent: () => void;
}) {
  const [message, setMessage] = useState("");
  const [place, setPlace] = useState<Place>("none");
  const [placeNote, setPlaceNote] = useState<string | null>(null);
  const item = [...outboxItems.value].reverse().find((i) => i.url === STATUS_URL);
  const sentId = useRef<string | null>(null);
  useEffect(() => {
    if (item?.state === "sent" && sentId.current !== item.id) {
      sentId.current = item.id;
      onSent();
    }
  }, [item?.state, item?.id, onSent]);

  const send = async (status: SetStatus) => {
    setPlaceNote(null);
    let location: { lat: number; lon: number; precision: "exact" | "coarse" } | undefined;
    if (place !== "none") {
      const here = await position();
      if (here) location = { ...here, precision: place };
      else setPlaceNote(t("family.placeUnavailable"));
    }
    const body = { status, ...(message.trim() ? { message: message.trim() } : {}), ...(location ? { location } : {}) };
    // The newest status is the one that matters: an older one still waiting is dropped.
    await outbox.supersede(STATUS_URL);
    await outbox.enqueue({
      method: "PUT",
      url: STATUS_URL,
      body,
      label: t("family.outboxLabel", { status: t(`family.status.${status}`) }),
    });
  };
  const pending = item && item.state !== "sent" ? item : null;
  const pendingStatus = (pending?.body as { status?: SetStatus } | undefined)?.status;
  const left = charactersLeft(message, MESSAGE_MAX);
  return (
    <section class="panel my-status" aria-labelledby="my-status-title">
      <h2 id="my-status-title">{t("family.myStatusTitle")}</h2>
      {asked.map((a) => (
        <p class="notice asked" role="alert" key={`${a.group}-${a.personId}`}>
          {t("family.askedYou", { name: a.name ?? t("family.someone"), group: a.group })}
        </p>
      ))}
      <p>
        {t("family.now")}: <StatusLine record={mine?.status} />
      </p>
      <div class="status-choices">
        {SET_STATUSES.map((status) => (
          <button
            key={status}
            type="button"
            class={`big status-choice ${status}`}
            aria-pressed={pendingStatus === status || (!pending && mine?.status?.status === status)}
            disabled={!enabled}
            onClick={() => void send(status)}
          >
            {t(`family.set.${status}`)}
          </button>
        ))}
      </div>
      <p class="save-state" role="status">
        {pending?.state === "failed"
          ? `${t("outbox.failed")}: ${pending.reason ?? ""}`
          : pending
            ? t("family.savedOnPhone")
            : item?.state === "sent"
              ? t("family.sent")
              : ""}
        {placeNote && ` ${placeNote}`}
      </p>
      <details class="extras">
        <summary>{t("family.addMore")}</summary>
        <label class="field column">
          <span>{t("family.message")}</span>
          <textarea
            value={message}
            maxLength={MESSAGE_MAX}
            rows={3}
            aria-describedby="message-left"
            onInput={(e) => setMessage((e.target as HTMLTextAreaElement).value)}
          />
          <span id="message-left" class="muted">
            {t("family.charactersLeft", { n: left })}
          </span>
        </label>
        <label class="field">
          <span>{t("family.place")}</span>
          <select value={place} onChange={(e) => setPlace((e.target as HTMLSelectElement).value as Place)}>
            <option value="none">{t("family.place.none")}</option>
            <option value="coarse">{t("family.place.coarse")}</option>
            <option value="exact">{t("family.place.exact")}</option>
          </select>
        </label>
        <p class="hint">{t("family.placeHint")}</p>
      </details>
    </section>
  );
}

function memberName(m: GroupMember): string {
  if (m.me) return m.name ? t("family.meNamed", { name: m.name }) : t("family.me");
  return m.name ?? t("family.someone");
}

function GroupPanel({
  group,
  onChange,
  onInvite,
}: {
  group: Group;
  onChange: (message: string) => void;
  onInvite: (invite: Invite) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const act = (work: Promise<unknown>, done: string) =>
    work.then(
      () => {
        setError(null);
        onChange(done);
      },
      (failure: unknown) => setError(reason(failure)),
    );
  return (
    <section class="panel group" aria-labelledby={`group-${group.id}`}>
      <h2 id={`group-${group.id}`}>{group.name}</h2>
      <ul class="members">
        {group.members.map((m) => (
          <li key={m.personId} data-testid="member">
            <div>
              <strong>{memberName(m)}</strong>
              {m.creator && <span class="muted"> {t("family.creator")}</span>}
            </div>
            <div>
              <StatusLine record={m.status} />
            </div>
            {m.status?.message && <p class="message">{m.status.message}</p>}
            {!m.me && (
              <div class="actions">
                <button
                  type="button"
                  class="secondary"
                  onClick={() =>
                    void act(askMember(group.id, m.personId), t("family.askSent", { name: memberName(m) }))
                  }
                >
                  {t("family.ask")}
                </button>
                {group.creator && (
                  <button
                    type="button"
                    class="secondary"
                    onClick={() =>
                      confirm(t("family.removeConfirm", { name: memberName(m), group: group.name })) &&
                      void act(removeMember(group.id, m.personId), t("family.removed", { name: memberName(m) }))
                    }
                  >
                    {t("family.remove")}
                  </button>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button
          type="button"
          class="primary"
          onClick={() => newInvite(group.id).then(onInvite, (failure: unknown) => setError(reason(failure)))}
        >
          {t("family.invite")}
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() =>
            confirm(t("family.leaveConfirm", { group: group.name })) &&
            void act(leaveGroup(group.id), t("family.left", { group: group.name }))
          }
        >
          {t("family.leave")}
        </button>
      </div>
    </section>
  );
}

function NewGroup({
  enabled,
  onMade,
}: {
  enabled: boolean;
  onMade: (group: { name: string }, invite: Invite) => void;
}) {
  const [name, setName] = useState("");
  const [myName, setMyName] = useState(rememberedName());
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="panel new-group"
      aria-labelledby="new-group-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (!name.trim()) return setError(t("family.groupNameNeeded"));
        rememberName(myName);
        createGroup(name.trim(), myName.trim() || null).then(
          (made) => {
            setName("");
            setError(null);
            onMade(made, made.invite);
          },
          (failure: unknown) => setError(reason(failure)),
        );
      }}
    >
      <h2 id="new-group-title">{t("family.newGroup")}</h2>
      <label class="field">
        <span>{t("family.groupName")}</span>
        <input
          value={name}
          maxLength={60}
          placeholder={t("family.groupNameExample")}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
      </label>
      <label class="field">
        <span>{t("family.myName")}</span>
        <input value={myName} maxLength={40} onInput={(e) => setMyName((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="primary" disabled={!enabled}>
        {t("family.create")}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** The invite full screen, like my QR code: the other phone scans it, or the link is sent. */
function InviteView({ group, invite, onClose }: { group: { name: string }; invite: Invite; onClose: () => void }) {
  const closeButton = useRef<HTMLButtonElement>(null);
  const [copied, setCopied] = useState(false);
  const link = inviteLink(invite);
  useEffect(() => {
    closeButton.current?.focus();
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div class="qr-full" role="dialog" aria-modal="true" aria-labelledby="invite-title">
      <div class="qr-bar">
        <h2 id="invite-title">{t("family.inviteTitle", { group: group.name })}</h2>
        <button type="button" class="primary" ref={closeButton} onClick={onClose}>
          {t("sheet.close")}
        </button>
      </div>
      {invite.qrSvg && (
        <img
          class="qr"
          src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(invite.qrSvg)}`}
          alt={t("family.inviteQrAlt", { group: group.name })}
        />
      )}
      <p>{t("family.inviteHint", { expires: formatDate(invite.expiresAt), uses: invite.usesLeft })}</p>
      <p class="invite-link">
        <a href={link} data-testid="invite-link">
          {link}
        </a>
      </p>
      <div class="actions">
        <button
          type="button"
          class="secondary"
          onClick={() =>
            navigator.clipboard?.writeText(link).then(
              () => setCopied(true),
              () => undefined,
            )
          }
        >
          {copied ? t("family.copied") : t("family.copy")}
        </button>
        {"share" in navigator && (
          <button
            type="button"
            class="secondary"
            onClick={() =>
              void navigator
                .share({ title: t("family.inviteTitle", { group: group.name }), url: link })
                .catch(() => undefined)
            }
          >
            {t("family.share")}
          </button>
        )}
      </div>
    </div>
  );
}

function ConsentPanel({ mine, onSaved }: { mine: SafetyMe; onSaved: (me: SafetyMe) => void }) {
  // Shown as chosen at once (a checkbox that waits for the server looks broken); saved behind.
  const [record, setRecord] = useState(mine.consent);
  const [phone, setPhone] = useState("");
  const [state, setState] = useState<string | null>(null);
  const save = (change: Partial<Consent>) => {
    setRecord({ ...record, ...change });
    const next: Consent = {
      shareGroups: record.shareGroups,
      shareHq: record.shareHq,
      answerInquiries: record.answerInquiries,
      autoCheckin: record.autoCheckin,
      forbidInquiries: record.forbidInquiries,
      memberId: record.memberId,
      ...(phone.trim() ? { phone: phone.trim() } : {}),
      ...change,
    };
    setState(t("family.saving"));
    saveConsent(next).then(
      (saved) => {
        setRecord(saved);
        onSaved({ ...mine, consent: saved });
        setState(t("family.consentSaved"));
      },
      (failure: unknown) => {
        setRecord(record); // not saved: shown as it is
        setState(failure instanceof ApiError && failure.offline ? t("error.offline") : reason(failure));
      },
    );
  };
  const box = (key: "shareGroups" | "shareHq" | "answerInquiries" | "autoCheckin" | "forbidInquiries") => (
    <label class="check" key={key}>
      <input
        type="checkbox"
        checked={record[key]}
        onChange={(e) => save({ [key]: (e.target as HTMLInputElement).checked })}
      />
      <span>{t(`family.consent.${key}`)}</span>
    </label>
  );
  return (
    <fieldset class="panel consent">
      <legend>{t("family.consentTitle")}</legend>
      {box("shareGroups")}
      {box("autoCheckin")}
      {box("shareHq")}
      {box("answerInquiries")}
      <div class="field">
        <label class="field">
          <span>{t("family.inquiryPhone")}</span>
          <input
            type="tel"
            autoComplete="tel"
            value={phone}
            maxLength={24}
            onInput={(e) => setPhone((e.target as HTMLInputElement).value)}
          />
        </label>
        <button
          type="button"
          class="secondary"
          disabled={!phone.trim()}
          onClick={() => save({ answerInquiries: true })}
        >
          {t("family.inquiryPhoneSave")}
        </button>
      </div>
      <p class="hint">{record.findableByName ? t("family.findable") : t("family.notFindable")}</p>
      {box("forbidInquiries")}
      {record.forbiddenByHeadquarters && <p class="notice">{t("family.forbiddenByHq")}</p>}
      <p>
        {t("family.inquiryCode")}: <code data-testid="inquiry-code">{record.inquiryCode}</code>
      </p>
      <p class="save-state" role="status">
        {state}
      </p>
    </fieldset>
  );
}
