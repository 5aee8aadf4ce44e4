// The app's one outbox, and its items as a signal for the UI.
import { computed, signal } from "@preact/signals";
import { csrfHeader } from "../api/client";
import { Outbox, type OutboxItem } from "./outbox";

export const outbox = new Outbox({ headers: csrfHeader });
export const outboxItems = signal<OutboxItem[]>([]);
export const pendingCount = computed(() => outboxItems.value.filter((i) => i.state !== "sent").length);

outbox.subscribe((items) => {
  outboxItems.value = items;
});
