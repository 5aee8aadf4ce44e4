// My evacuation info on this device: edited here (saved as you go, kept on the phone), sent to
// the server through the outbox, so it is never lost when the network is not there.
import { signal } from "@preact/signals";
import { outbox } from "../../lib/outboxStore";
import { type CareNeeds, fetchHousehold, HOUSEHOLD_URL, type Household, type Member } from "./api";

const KEY = "bosai.household";

export const emptyCare = (): CareNeeds => ({
  mobility: "walks",
  disability: null,
  illness: null,
  medication: null,
  allergy: null,
  pregnancy: false,
  infant: false,
  languageNeeds: null,
  notes: null,
});

export const newMember = (relationship: Member["relationship"]): Member => ({
  id: null,
  name: "",
  kana: null,
  relationship,
  birthDate: null,
  sex: "unspecified",
  careNeeds: emptyCare(),
  skills: [],
});

export const emptyHousehold = (): Household => ({
  members: [newMember("self")],
  pets: [],
  emergencyContact: null,
  home: null,
  work: null,
  consents: { shareStatusWithFamily: false, answerSafetyInquiries: false },
});

function stored(): Household | null {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    return raw ? (JSON.parse(raw) as Household) : null;
  } catch {
    return null;
  }
}

export const household = signal<Household>(stored() ?? emptyHousehold());

/** What can be sent: members without a name are still being typed. */
export function sendable(h: Household): Household {
  const contact = h.emergencyContact;
  return {
    ...h,
    members: h.members.filter((m) => m.name.trim() !== "").map((m) => ({ ...m, name: m.name.trim() })),
    emergencyContact: contact?.name.trim() && contact.phone.trim() ? contact : null,
  };
}

/** Keep the edit on the phone at once, and queue it for the server (replacing an older queued one). */
export async function saveHousehold(next: Household, label: string): Promise<void> {
  household.value = next;
  globalThis.localStorage?.setItem(KEY, JSON.stringify(next));
  await outbox.supersede(HOUSEHOLD_URL);
  await outbox.enqueue({ method: "PUT", url: HOUSEHOLD_URL, body: sendable(next), label });
}

/** The server's copy (with member ids) when nothing of ours is waiting to be sent. */
export async function syncHousehold(): Promise<void> {
  const waiting = (await outbox.list()).some((i) => i.url === HOUSEHOLD_URL && i.state !== "sent");
  if (waiting) return;
  try {
    const server = await fetchHousehold();
    if (server.members.length > 0) {
      const local = household.value;
      // Keep members still being typed (no name yet) at the end.
      household.value = { ...server, members: [...server.members, ...local.members.filter((m) => !m.name.trim())] };
      globalThis.localStorage?.setItem(KEY, JSON.stringify(household.value));
    }
  } catch {
    // offline, or no account yet: the phone's copy stands
  }
}
