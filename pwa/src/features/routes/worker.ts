/// <reference lib="webworker" />
// Routing on the device, off the page's thread: the graph of a stored pack is read from Cache
// Storage once and kept; each message asks for one route.
import { CACHE, packFileKey } from "../packs/download";
import {
  type Coordinate,
  type DeviceRoute,
  NoPathError,
  OffNetworkError,
  type RouteOptions,
  WalkGraph,
  type WalkGraphDocument,
} from "./graph";

export interface RouteRequest {
  id: number;
  code: string;
  /** The pack's version: a newer pack's graph replaces the one kept. */
  version: number;
  origin: Coordinate;
  destinations: Coordinate[];
  options: RouteOptions;
}

export type RouteReply =
  | { id: number; route: DeviceRoute }
  | { id: number; error: "off_network" | "no_path" | "no_graph" | "failed"; field?: string; message: string };

const graphs = new Map<string, { version: number; graph: WalkGraph }>();

async function graphOf(code: string, version: number): Promise<WalkGraph | null> {
  const kept = graphs.get(code);
  if (kept && kept.version === version) return kept.graph;
  const response = await (await caches.open(CACHE)).match(packFileKey(code, "graph.json"));
  if (!response) return null;
  const graph = new WalkGraph((await response.json()) as WalkGraphDocument);
  graphs.set(code, { version, graph });
  return graph;
}

async function answer(request: RouteRequest): Promise<RouteReply> {
  const { id } = request;
  try {
    const graph = await graphOf(request.code, request.version);
    if (!graph) return { id, error: "no_graph", message: "this pack has no walkable graph" };
    return { id, route: graph.route(request.origin, request.destinations, request.options) };
  } catch (error) {
    if (error instanceof OffNetworkError)
      return { id, error: "off_network", field: error.field, message: error.message };
    if (error instanceof NoPathError) return { id, error: "no_path", message: error.message };
    return { id, error: "failed", message: String(error) };
  }
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = async (event: MessageEvent<RouteRequest>) => {
  scope.postMessage(await answer(event.data));
};
