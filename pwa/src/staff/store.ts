// What the staff screens share: the shelter this device works at (kept on the device, so it is
// known offline), its occupancy, and the writes it queues (check-ins, check-outs, walk-ins).
import { computed, signal } from "@preact/signals";
import { ApiError, getJson } from "../api";
import type { CareNeeds } from "../household";
import { outbox, outboxItems } from "../outboxStore";

export const STAYS = ["inside", "outdoor", "car", "at_home"] as const;
export type Stay = (typeof STAYS)[number];
export const CARE_NEEDS = [
  "wheelchair",
  "mobilityHelp",
  "medication",
  "allergy",
  "illness",
  "disability",
  "pregnancy",
  "infant",
  "language",
  "pets",
] as const;
export type CareNeed = (typeof CARE_NEEDS)[number];

export interface Occupancy {
  shelterId: string;
  name: string;
  lat: number;
  lon: number;
  municipality: string;
  municipalityName: string;
  event: string;
  eventName: string;
  status: "open" | "crowded" | "full" | "closed";
  capacity: number | null;
  people: number;
  fill: number | null;
  byStay: Record<Stay, number>;
  care: Record<CareNeed, number>;
  petsAccepted: boolean;
  needs: { suppliesShort?: string; sick?: number; incidents?: string; notes?: string };
  updatedAt: string;
}

export interface MemberView {
  id: string;
  name: string;
  kana: string | null;
  birthDate: string | null;
  careNeeds: CareNeeds | null;
  /** Its care needs as badges (the server's reading of careNeeds, as occupancy counts them). */
  needs: CareNeed[];
  inside: boolean;
}

export interface HouseholdView {
  householdId: string;
  walkIn: boolean;
  members: MemberView[];
  pets: { kind: string; count: number }[];
  houseDamage?: string;
  utilitiesOut?: string[];
  neededSupplies?: string | null;
  familyNotReached?: string | null;
  phone?: string | null;
  address?: string | null;
}

const SHELTER_KEY = "bosai.shelter";
interface Chosen {
  id: string;
  name: string;
}

function stored(): Chosen | null {
  try {
    return JSON.parse(globalThis.localStorage?.getItem(SHELTER_KEY) ?? "null") as Chosen | null;
  } catch {
    return null;
  }
}

export const shelter = signal<Chosen | null>(stored());
export function chooseShelter(next: Chosen): void {
  shelter.value = next;
  globalThis.localStorage?.setItem(SHELTER_KEY, JSON.stringify(next));
}

export const occupancy = signal<Occupancy[] | null>(null);
export const here = computed(() => occupancy.value?.find((s) => s.shelterId === shelter.value?.id) ?? null);

/** The shelters this account oversees, with their occupancy (kept as they were when offline). */
export async function refreshOccupancy(): Promise<void> {
  try {
    const list = (await getJson<{ shelters: Occupancy[] }>("/api/shelters/occupancy")).shelters;
    occupancy.value = list;
    const [only] = list;
    if (shelter.value === null && only && list.length === 1) chooseShelter({ id: only.shelterId, name: only.name });
  } catch (error) {
    if (!(error instanceof ApiError && error.offline)) throw error;
  }
}

/** Check-ins (and outs, walk-ins) of this shelter not yet received by the server. */
export const waiting = computed(() =>
  outboxItems.value.filter(
    (i) =>
      i.state !== "sent" &&
      shelter.value !== null &&
      ((i.body as { shelterId?: string } | null)?.shelterId === shelter.value.id ||
        i.url.startsWith(`/api/shelters/${shelter.value.id}/`)),
  ),
);

export function queueCheck(direction: "in" | "out", body: Record<string, unknown>, label: string) {
  return outbox.enqueue({ method: "POST", url: direction === "in" ? "/api/checkins" : "/api/checkouts", body, label });
}
