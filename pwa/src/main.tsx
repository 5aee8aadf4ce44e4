import { registerSW } from "virtual:pwa-register";
import { render } from "preact";
import { App } from "./app";
import { followHere } from "./features/alerts/here";
import "./features/alerts/listen";
import { prefetchMapView } from "./features/map/load";
import { refreshPacks } from "./features/packs/stored";
import { language, loadLanguage } from "./i18n";
import { outbox } from "./lib/outboxStore";
import { update } from "./lib/status";
import "./styles.css";

followHere();

// A reader of English or easy Japanese gets the page in their language, not a flash of Japanese.
void loadLanguage(language.value)
  .catch(() => undefined)
  .finally(() => render(<App />, document.getElementById("app") as HTMLElement));

outbox.start();
void refreshPacks();
prefetchMapView();

if ("serviceWorker" in navigator) {
  // "Reload" tells the waiting worker to take over; the page reloads once it has. (Done here: the
  // plugin reloads only for updates it found itself, not for those the browser found.)
  let reloadWhenReplaced = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloadWhenReplaced) location.reload();
  });
  const updateServiceWorker = registerSW({
    immediate: true,
    onNeedRefresh() {
      update.value = {
        apply: () => {
          reloadWhenReplaced = true;
          void updateServiceWorker(true);
        },
      };
    },
  });
}
