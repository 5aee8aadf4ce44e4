import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { NotYet } from "./components/NotYet";
import { OutboxScreen } from "./components/OutboxScreen";
import { SignInPanel } from "./features/accounts/SignIn";
import { me } from "./features/accounts/session";
import { MyInfoScreen } from "./features/households/MyInfoScreen";
import { MapScreen } from "./features/map/MapScreen";
import { OpenSheltersScreen } from "./features/map/OpenSheltersScreen";
import { OfflineScreen } from "./features/packs/OfflineScreen";
import { packsDataAsOf } from "./features/packs/stored";
import { FamilyScreen } from "./features/safety/FamilyScreen";
import { htmlLang, LANGUAGES, type Language, language, setLanguage, t } from "./i18n";
import { formatDate } from "./lib/format";
import { pendingCount } from "./lib/outboxStore";
import { AREAS, type Area, href, route, type Screen as ScreenName, screenTitle } from "./lib/router";
import { offline, update } from "./lib/status";

function LanguageSwitch() {
  return (
    // Compact, so that the header stays one line at large text: a globe says what the choice is;
    // the word "language" is for screen readers (and the visible options name themselves).
    <label class="language">
      <span class="visually-hidden">{t("lang.label")}</span>
      <svg class="globe" viewBox="0 0 24 24" aria-hidden="true">
        <circle cx="12" cy="12" r="10" />
        <path d="M2 12h20M12 2a15 15 0 0 1 0 20M12 2a15 15 0 0 0 0 20" />
      </svg>
      <select
        value={language.value}
        onChange={(e) => void setLanguage((e.target as HTMLSelectElement).value as Language)}
      >
        {LANGUAGES.map((lang) => (
          <option key={lang} value={lang} lang={lang === "en" ? "en" : "ja"}>
            {t(`lang.${lang}`)}
          </option>
        ))}
      </select>
    </label>
  );
}

function Banners() {
  const pending = update.value;
  return (
    <>
      {offline.value && (
        <p class="banner offline" role="status">
          {t("offline.banner")}
          {packsDataAsOf() && <span> {t("offline.dataAsOf", { date: formatDate(packsDataAsOf()) })}</span>}
        </p>
      )}
      {pending && (
        <div class="banner update" role="alert">
          <span>{t("update.ready")}</span>
          <button type="button" class="primary" onClick={pending.apply}>
            {t("update.reload")}
          </button>
          <button type="button" class="secondary" onClick={() => (update.value = null)}>
            {t("update.later")}
          </button>
        </div>
      )}
    </>
  );
}

function Screen() {
  const { area, screen } = route.value;
  if (area === "resident" && screen === "map") return <MapScreen />;
  if (area === "resident" && screen === "shelters") return <OpenSheltersScreen />;
  if (area === "resident" && screen === "outbox") return <OutboxScreen />;
  if (area === "resident" && screen === "offline") return <OfflineScreen />;
  if (area === "resident" && screen === "myinfo") return <MyInfoScreen />;
  if (area === "resident" && screen === "family") return <FamilyScreen />;
  if (area === "resident" && screen === "alerts") return <Alerts />;
  if (area !== "resident") return <Operators screen={screen} />;
  return <NotYet screen={screen} />;
}

type AlertsModule = typeof import("./features/alerts/AlertsScreen");
type OrdersModule = typeof import("./features/alerts/OrderScreen");
const alertsModule = signal<AlertsModule | null>(null);
const ordersModule = signal<OrdersModule | null>(null);

/** A module loaded once, when first shown. */
function useModule<M>(holder: { value: M | null }, load: () => Promise<M>): string | null {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (holder.value === null) {
      load().then(
        (loaded) => {
          holder.value = loaded;
        },
        (failure: unknown) => setError(String(failure)),
      );
    }
  }, []);
  return error;
}

/** お知らせ: a chunk of its own (the first visit's budget is the map's), precached for offline. */
function Alerts() {
  const error = useModule(alertsModule, () => import("./features/alerts/AlertsScreen"));
  const loaded = alertsModule.value;
  if (loaded) return <loaded.AlertsScreen />;
  return <p class="panel">{error ?? t("staff.loading")}</p>;
}

/** Headquarters' 避難情報の発令 (with the alerts' chunk). */
function Orders() {
  const error = useModule(ordersModule, () => import("./features/alerts/OrderScreen"));
  const loaded = ordersModule.value;
  if (loaded) return <loaded.OrderScreen />;
  return <p class="panel">{error ?? t("staff.loading")}</p>;
}

type OperatorScreens = typeof import("./features/shelters/screens");
const operatorScreens = signal<OperatorScreens | null>(null);

/** Staff and headquarters: signed in first; their screens load on demand. */
function Operators({ screen }: { screen: ScreenName }) {
  const [error, setError] = useState<string | null>(null);
  const signedIn = me.value?.kind === "operator";
  useEffect(() => {
    if (signedIn && operatorScreens.value === null) {
      import("./features/shelters/screens").then(
        (loaded) => {
          operatorScreens.value = loaded;
        },
        (failure: unknown) => setError(String(failure)),
      );
    }
  }, [signedIn]);
  const screens = operatorScreens.value;
  let shown = null;
  if (screens && signedIn) {
    if (screen === "shelter") shown = <screens.ShelterScreen />;
    else if (screen === "scan") shown = <screens.ScanScreen />;
    else if (screen === "walkin") shown = <screens.WalkInScreen />;
    else if (screen === "dashboard") shown = <screens.Dashboard />;
    else if (screen === "orders") shown = <Orders />;
  }
  return (
    <div class="panels">
      {/* Headquarters' screen has the account menu in its toolbar, out of the map's height. */}
      {!(signedIn && screen === "dashboard") && <SignInPanel />}
      {error && <p class="error">{error}</p>}
      {signedIn && !screens && !error && <p class="panel">{t("staff.loading")}</p>}
      {shown}
    </div>
  );
}

export function App() {
  const { screen } = route.value;
  useEffect(() => {
    document.documentElement.lang = htmlLang.value;
    document.title = `${t(screenTitle(screen))} — ${t("app.title")}`;
  });
  return (
    <>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <header class="top">
        <h1>{t("app.title")}</h1>
        {pendingCount.value > 0 && (
          <a class="pending" href={href("resident", "outbox")}>
            {t("outbox.count", { count: pendingCount.value })}
          </a>
        )}
        <LanguageSwitch />
      </header>
      <Banners />
      <NavMenu />
      <main id="main" tabIndex={-1}>
        <Screen />
      </main>
    </>
  );
}

/** The tab bars: all in view at ordinary text sizes (wrapped, never scrolled inside); at large text
 * on a phone they fold behind one button that names the screen shown (tabs of 88 px would push the
 * screen itself below the fold). */
function NavMenu() {
  const { area, screen } = route.value;
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [area, screen]);
  return (
    <div class={`navs${open ? " open" : ""}`}>
      <button
        type="button"
        class="nav-toggle secondary"
        aria-expanded={open}
        aria-controls="navs"
        onClick={() => setOpen(!open)}
      >
        <svg class="bars" viewBox="0 0 24 24" aria-hidden="true">
          <path d="M3 6h18M3 12h18M3 18h18" />
        </svg>
        <span>
          {t("nav.menu")}: {t(screenTitle(screen))}
        </span>
      </button>
      <div id="navs">
        <nav class="areas" aria-label={t("area.label")}>
          {(Object.keys(AREAS) as Area[]).map((a) => (
            <a key={a} href={href(a, AREAS[a][0])} aria-current={a === area ? "page" : undefined}>
              {t(`area.${a}`)}
            </a>
          ))}
        </nav>
        <nav class="screens" aria-label={t("nav.label")}>
          {AREAS[area].map((s) => (
            <a key={s} href={href(area, s)} aria-current={s === screen ? "page" : undefined}>
              {t(screenTitle(s))}
            </a>
          ))}
        </nav>
      </div>
    </div>
  );
}
