// Family safety news as notifications on this phone, through the push subscription My Areas made
// (the server links it to the signed-in resident's account).
import { useState } from "preact/hooks";
import { ApiError } from "../../api/client";
import { t } from "../../i18n";
import { reason } from "../../lib/useQuery";
import { me } from "../accounts/session";
import { receiveFamilyNews, saved } from "./push";

export function FamilyNews() {
  const [state, setState] = useState<string | null>(null);
  const subscription = saved.value;
  // Shown as chosen at once (a checkbox that waits for the server looks broken); saved behind.
  const [on, setOn] = useState(subscription?.family ?? false);
  if (me.value?.kind !== "resident") return null;
  const change = (next: boolean) => {
    setOn(next);
    setState(t("family.saving"));
    receiveFamilyNews(next).then(
      (now) => {
        setOn(now);
        setState(now ? t("family.newsOn") : t("family.newsOff"));
      },
      (failure: unknown) => {
        setOn(!next);
        setState(failure instanceof ApiError && failure.offline ? t("error.offline") : reason(failure));
      },
    );
  };
  return (
    <section class="panel">
      <h2>{t("family.newsTitle")}</h2>
      {subscription ? (
        <label class="check">
          <input type="checkbox" checked={on} onChange={(e) => change((e.target as HTMLInputElement).checked)} />
          <span>{t("family.newsReceive")}</span>
        </label>
      ) : (
        <p>
          {t("family.newsNeedsAlerts")} <a href="#/resident/alerts">{t("family.newsOpenAlerts")}</a>
        </p>
      )}
      <p class="save-state" role="status">
        {state}
      </p>
    </section>
  );
}
