// What the staff screens share: the shelter this device works at (kept on the device, so it is
// known offline), its occupancy, and the writes it has queued (check-ins, check-outs, walk-ins).
import { computed, signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../api/client";
import { outboxItems } from "../../lib/outboxStore";
import { reason } from "../../lib/useQuery";
import { occupancy as fetchOccupancy, type Occupancy, shelterUrl } from "./api";

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
    const list = await fetchOccupancy();
    occupancy.value = list;
    const [only] = list;
    if (shelter.value === null && only && list.length === 1) chooseShelter({ id: only.shelterId, name: only.name });
  } catch (error) {
    if (!(error instanceof ApiError && error.offline)) throw error;
  }
}

/** Keeps the occupancy fresh while a staff screen is open: at start and after each sent write. */
export function useOccupancy(): string | null {
  const [error, setError] = useState<string | null>(null);
  const sent = outboxItems.value.filter((i) => i.state === "sent").length;
  useEffect(() => {
    refreshOccupancy().then(
      () => setError(null),
      (failure: unknown) => setError(reason(failure)),
    );
  }, [sent]);
  return error;
}

/** Check-ins (and outs, walk-ins) of this shelter not yet received by the server. */
export const waiting = computed(() =>
  outboxItems.value.filter(
    (i) =>
      i.state !== "sent" &&
      shelter.value !== null &&
      ((i.body as { shelterId?: string } | null)?.shelterId === shelter.value.id ||
        i.url.startsWith(`${shelterUrl(shelter.value.id)}/`)),
  ),
);
