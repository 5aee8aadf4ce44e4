// Asking the routing worker (worker.ts) for a route on a stored pack's graph.
import type { Coordinate, DeviceRoute, RouteOptions } from "./graph";
import type { RouteReply, RouteRequest } from "./worker";

export class DeviceRouteError extends Error {
  constructor(
    readonly reason: "off_network" | "no_path" | "no_graph" | "failed",
    message: string,
  ) {
    super(message);
  }
}

let worker: Worker | null = null;
let next = 1;
const waiting = new Map<number, { resolve: (route: DeviceRoute) => void; reject: (error: Error) => void }>();

function routingWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (event: MessageEvent<RouteReply>) => {
    const reply = event.data;
    const pending = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (!pending) return;
    if ("route" in reply) pending.resolve(reply.route);
    else pending.reject(new DeviceRouteError(reply.error, reply.message));
  };
  worker.onerror = (event) => {
    for (const pending of waiting.values()) pending.reject(new DeviceRouteError("failed", event.message));
    waiting.clear();
    worker = null;
  };
  return worker;
}

/** A route on the graph of the stored pack `code` (version `version`). */
export function deviceRoute(
  code: string,
  version: number,
  origin: Coordinate,
  destinations: Coordinate[],
  options: RouteOptions,
): Promise<DeviceRoute> {
  const id = next++;
  const request: RouteRequest = { id, code, version, origin, destinations, options };
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    routingWorker().postMessage(request);
  });
}
