// The alerts feature's calls (server/alerts): subscriptions (no account: a token proves the
// device made it), the inbox's alerts, and headquarters' evacuation orders.
import { csrfHeader, type Fetch, getJson, post, type Schemas, sendJson } from "../../api/client";

export type AlertSummary = Schemas["AlertSummary"];
export type AlertDetail = Schemas["AlertDetail"];
export type PushArea = Schemas["Area"];
export type SubscriptionBody = Schemas["SubscriptionIn"];
export type SubscriptionChange = Schemas["SubscriptionChange"];
export type OrderIn = Schemas["EvacuationOrderIn"];
export type OrderOut = Schemas["EvacuationOrderOut"];
export type DeliveryCounts = Schemas["DeliveryCounts"];

export const pushKey = (f?: Fetch) => getJson<Schemas["VapidPublicKey"]>("/api/push/key", f).then((k) => k.publicKey);

/** Alerts of a municipality, of a My Areas point (what reached its circle), or all. */
export const alerts = (area?: PushArea, f?: Fetch) => {
  const query = area?.municipality
    ? `?municipality=${encodeURIComponent(area.municipality)}`
    : area?.lat !== undefined && area.lat !== null
      ? `?near=${area.lat},${area.lon},${area.radiusM}`
      : "";
  return getJson<Schemas["AlertList"]>(`/api/alerts${query}`, f).then((r) => r.alerts);
};

export const alert = (id: string, f?: Fetch) => getJson<AlertDetail>(`/api/alerts/${encodeURIComponent(id)}`, f);

export const deliveries = (id: string, f?: Fetch) =>
  getJson<DeliveryCounts>(`/api/alerts/${encodeURIComponent(id)}/deliveries`, f);

/** Preview (dryRun) or issue an order; 解除 is an order with `cancels`. */
export const order = (body: OrderIn) => post<OrderOut>("/api/alerts", body);

const send = <T>(method: "POST" | "PUT" | "DELETE", path: string, body: unknown, token?: string) =>
  sendJson<T>(method, path, body, token ? { "X-Push-Token": token } : {});

export const subscribe = (body: SubscriptionBody) =>
  send<Schemas["SubscriptionCreated"]>("POST", "/api/push/subscriptions", body);
export const changeSubscription = (id: string, token: string, body: SubscriptionChange) =>
  send<Schemas["SubscriptionOut"]>("PUT", `/api/push/subscriptions/${encodeURIComponent(id)}`, body, token);
export const unsubscribe = (id: string, token: string) =>
  send<unknown>("DELETE", `/api/push/subscriptions/${encodeURIComponent(id)}`, undefined, token);

/** Receive (or not) my groups' safety news on this browser: my session and the subscription's token. */
export const familyNews = (id: string, token: string, on: boolean) =>
  sendJson<Schemas["SubscriptionOut"]>(
    on ? "PUT" : "DELETE",
    `/api/push/subscriptions/${encodeURIComponent(id)}/family`,
    undefined,
    { ...csrfHeader(), "X-Push-Token": token },
  );
