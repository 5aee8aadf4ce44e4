import { registerSW } from "virtual:pwa-register";
import { render } from "preact";
import { App } from "./app";
import { outbox } from "./outboxStore";
import { update } from "./status";
import "./styles.css";

render(<App />, document.getElementById("app") as HTMLElement);

outbox.start();

if ("serviceWorker" in navigator) {
  const updateServiceWorker = registerSW({
    immediate: true,
    onNeedRefresh() {
      update.value = { apply: () => void updateServiceWorker(true) };
    },
  });
}
