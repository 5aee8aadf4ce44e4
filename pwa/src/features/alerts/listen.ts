// The service worker asks the open app to show an alert (a notification was clicked): whichever
// screen is open, the route changes (a navigation would reload the app).
globalThis.navigator?.serviceWorker?.addEventListener("message", (event: MessageEvent) => {
  const data = event.data as { type?: string; alertId?: string | null } | null;
  if (data?.type === "OPEN_ALERT")
    location.hash = data.alertId ? `#/resident/alerts/${encodeURIComponent(data.alertId)}` : "#/resident/alerts";
});
