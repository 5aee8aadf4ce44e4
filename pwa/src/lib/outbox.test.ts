import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { backoff, isPermanent, Outbox, type OutboxItem } from "./outbox";

interface Call {
  url: string;
  key: string | null;
  body: unknown;
}

/** A server that answers from a script, and records what it was sent. */
function fakeServer(answers: Array<number | "down">) {
  const calls: Call[] = [];
  const fetcher = async (url: string, init: RequestInit): Promise<Response> => {
    calls.push({
      url,
      key: new Headers(init.headers).get("Idempotency-Key"),
      body: JSON.parse(String(init.body)),
    });
    const answer = answers.shift() ?? 201;
    if (answer === "down") throw new TypeError("Failed to fetch");
    const problem = { type: "about:blank", title: "Conflict", status: answer, detail: `shelter closed (${answer})` };
    return new Response(JSON.stringify(answer < 300 ? { ok: true } : problem), { status: answer });
  };
  return { calls, fetcher };
}

let databases = 0;
function outboxWith(answers: Array<number | "down">, clock = { now: 1_000 }) {
  const server = fakeServer(answers);
  let ids = 0;
  const outbox = new Outbox({
    dbName: `test-${databases++}`,
    fetch: server.fetcher,
    now: () => clock.now,
    baseDelayMs: 1_000,
    maxDelayMs: 8_000,
    newId: () => `key-${++ids}`,
  });
  return { outbox, server, clock };
}

const checkin = { method: "POST" as const, url: "/api/checkins", body: { shelterId: "s1" }, label: "check-in" };

describe("outbox", () => {
  it("sends a write with its idempotency key and marks it sent", async () => {
    const { outbox, server } = outboxWith([201]);
    const seen: OutboxItem["state"][][] = [];
    outbox.subscribe((items) => seen.push(items.map((i) => i.state)));
    await outbox.enqueue(checkin);
    await outbox.flush();
    const [item] = await outbox.list();
    expect(item?.state).toBe("sent");
    expect(item?.result).toEqual({ ok: true }); // the server's answer, e.g. the id it gave
    expect(server.calls).toEqual([{ url: "/api/checkins", key: "key-1", body: { shelterId: "s1" } }]);
    expect(seen.flat()).toEqual(expect.arrayContaining(["queued", "sending", "sent"]));
  });

  it("keeps a write through network loss and retries with exponential back-off, same key", async () => {
    const { outbox, server, clock } = outboxWith(["down", 503, "down", 201]);
    await outbox.enqueue(checkin);
    await outbox.flush();
    let [item] = await outbox.list();
    expect(item).toMatchObject({ state: "queued", attempts: 1, reason: "Failed to fetch", nextAttemptAt: 2_000 });

    await outbox.flush(); // not due yet: nothing sent
    expect(server.calls).toHaveLength(1);

    clock.now = 2_000;
    await outbox.flush();
    [item] = await outbox.list();
    expect(item).toMatchObject({ state: "queued", attempts: 2, reason: "shelter closed (503)", nextAttemptAt: 4_000 });

    clock.now = 4_000;
    await outbox.flush();
    [item] = await outbox.list();
    expect(item?.nextAttemptAt).toBe(8_000);

    clock.now = 8_000;
    await outbox.flush();
    [item] = await outbox.list();
    expect(item?.state).toBe("sent");
    expect(new Set(server.calls.map((c) => c.key))).toEqual(new Set(["key-1"]));
  });

  it("stops retrying what the server refuses, with its reason, until the user retries", async () => {
    const { outbox, server } = outboxWith([409, 201]);
    const { id } = await outbox.enqueue(checkin);
    await outbox.flush();
    let [item] = await outbox.list();
    expect(item).toMatchObject({ state: "failed", reason: "shelter closed (409)" });
    await outbox.flush();
    expect(server.calls).toHaveLength(1);
    await outbox.retry(id);
    [item] = await outbox.list();
    expect(item?.state).toBe("sent");
  });

  it("survives a restart: a write left sending is sent again at start-up", async () => {
    const first = outboxWith(["down"]);
    await first.outbox.enqueue(checkin);
    await first.outbox.flush();
    const name = `test-${databases - 1}`;
    const again = fakeServer([201]);
    const restarted = new Outbox({ dbName: name, fetch: again.fetcher, now: () => 10_000 });
    const target = new EventTarget();
    restarted.start(target as unknown as Window);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [item] = await restarted.list();
    expect(item?.state).toBe("sent");
    expect(again.calls[0]?.key).toBe("key-1");
  });

  it("sends everything waiting when the browser comes back online, back-off or not", async () => {
    const { outbox, server } = outboxWith(["down", 201]);
    const target = new EventTarget();
    outbox.start(target as unknown as Window);
    await outbox.enqueue(checkin);
    await outbox.flush();
    await outbox.flush();
    expect(server.calls).toHaveLength(1); // the clock stands still: the back-off is not over
    target.dispatchEvent(new Event("online"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.calls).toHaveLength(2);
    expect((await outbox.list())[0]?.state).toBe("sent");
  });

  it("keeps items in creation order and prunes old sent ones", async () => {
    const { outbox, clock } = outboxWith([201, 201]);
    await outbox.enqueue({ ...checkin, label: "a" });
    clock.now = 2_000;
    await outbox.enqueue({ ...checkin, label: "b" });
    await outbox.flush();
    expect((await outbox.list()).map((i) => i.label)).toEqual(["a", "b"]);
    clock.now = 100_000;
    await outbox.prune(60_000);
    expect(await outbox.list()).toEqual([]);
  });
});

describe("retry policy", () => {
  it("doubles the delay and caps it", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoff(n, 1_000, 8_000))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it("gives up only on client errors that a retry cannot fix", () => {
    expect([400, 404, 409, 422].every(isPermanent)).toBe(true);
    expect([408, 429, 500, 503].some(isPermanent)).toBe(false);
  });
});
