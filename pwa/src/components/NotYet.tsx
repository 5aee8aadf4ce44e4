import { t } from "../i18n";
import { href, type Screen, screenTitle } from "../lib/router";

/** A screen a later release fills: says so plainly, and offers what works now. */
export function NotYet({ screen }: { screen: Screen }) {
  return (
    <section class="panel">
      <h2>{t("notyet.title", { screen: t(screenTitle(screen)) })}</h2>
      <p>{t("notyet.body")}</p>
      <a class="button primary" href={href("resident", "map")}>
        {t("notyet.toMap")}
      </a>
    </section>
  );
}
