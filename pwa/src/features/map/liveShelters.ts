// The shelters open now, with how full they are (GET /api/shelters/open), shared by the map's
// badges and the resident's list. Refreshed every minute while shown; emptied when the server
// cannot be reached, so no screen shows a state that may no longer be true.
import { signal } from "@preact/signals";
import { type OpenShelter, openShelters } from "../shelters/api";

const EVERY_MS = 60_000;

export const liveShelters = signal<OpenShelter[]>([]);
/** Whether liveShelters is the server's current answer (false: not asked yet, or failed). */
export const liveKnown = signal(false);

export async function refreshLiveShelters(): Promise<void> {
  try {
    liveShelters.value = await openShelters();
    liveKnown.value = true;
  } catch {
    liveShelters.value = [];
    liveKnown.value = false;
  }
}

let watchers = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** Keeps liveShelters fresh until the returned function is called. */
export function pollLiveShelters(): () => void {
  watchers += 1;
  if (watchers === 1) {
    void refreshLiveShelters();
    timer = setInterval(() => void refreshLiveShelters(), EVERY_MS);
  }
  return () => {
    watchers -= 1;
    if (watchers === 0) clearInterval(timer);
  };
}
