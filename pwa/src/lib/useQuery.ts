import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { t } from "../i18n";
import { serverReachable } from "./status";

export type Query<T> =
  | { state: "idle" }
  | { state: "loading" }
  | { state: "done"; value: T }
  | { state: "error"; reason: string };

/** Why a request failed, in the reader's words. */
export function reason(error: unknown): string {
  if (error instanceof ApiError)
    return error.offline ? t("error.offline") : error.detail || t("error.server", { status: error.status });
  return String(error);
}

/** Run `load` whenever `key` changes (null: nothing to load); the latest answer wins. */
export function useQuery<T>(key: string | null, load: () => Promise<T>): Query<T> {
  const [query, setQuery] = useState<Query<T>>({ state: "idle" });
  useEffect(() => {
    if (key === null) {
      setQuery({ state: "idle" });
      return;
    }
    let current = true;
    setQuery({ state: "loading" });
    load().then(
      (value) => {
        serverReachable.value = true;
        if (current) setQuery({ state: "done", value });
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.offline) serverReachable.value = false;
        if (current) setQuery({ state: "error", reason: reason(error) });
      },
    );
    return () => {
      current = false;
    };
  }, [key]);
  return query;
}
