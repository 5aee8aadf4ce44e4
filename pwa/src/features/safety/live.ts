// The open family view asks the server every LIVE_MS whether anything changed (If-None-Match: an
// unchanged view is a 304 of one query) and only while the page is visible: a check-in at a shelter
// shows on the family's phones within two seconds, through any proxy, with no connection held open.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../../api/client";
import { serverReachable } from "../../lib/status";
import { reason } from "../../lib/useQuery";
import { fetchGroups, type Group } from "./api";

export const LIVE_MS = 1500;

export interface LiveGroups {
  groups: Group[] | null;
  error: string | null;
  /** Ask now (after my own change), not at the next tick. */
  refresh: () => void;
}

export function useLiveGroups(enabled: boolean, every: number = LIVE_MS): LiveGroups {
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const etag = useRef<string | null>(null);
  const kick = useRef<() => void>(() => undefined);

  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let busy = false;
    let again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      clearTimeout(timer);
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        if (document.visibilityState === "visible") {
          const got = await fetchGroups(etag.current);
          serverReachable.value = true;
          if (got && !stopped) {
            etag.current = got.etag;
            setGroups(got.groups);
          }
          if (!stopped) setError(null);
        }
      } catch (failure) {
        if (failure instanceof ApiError && failure.offline) serverReachable.value = false;
        if (!stopped) setError(reason(failure));
      } finally {
        busy = false;
      }
      if (stopped) return;
      if (again) {
        again = false;
        void tick();
      } else timer = setTimeout(() => void tick(), every);
    };
    kick.current = () => void tick();
    const onVisible = () => document.visibilityState === "visible" && void tick();
    document.addEventListener("visibilitychange", onVisible);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
      kick.current = () => undefined;
    };
  }, [enabled, every]);

  const refresh = useCallback(() => kick.current(), []);
  return { groups, error, refresh };
}
