// Where the resident's map gets its answers: one interface, whether they come from the server or
// from a pack stored on the device (as PMTiles' Tileset hides where tiles come from).
import { ApiError } from "../api/client";
import type { Facility, Nearest, NearestHazard } from "../features/facilities/api";
import type { HazardsAt } from "../features/hazards/api";

export interface Point {
  lat: number;
  lon: number;
}

export interface NearestOptions {
  /** Only shelters suitable for this hazard; "any": every shelter; null: away from the hazards at the point. */
  hazard: NearestHazard;
  limit?: number;
  /** Also the walking distance along the roads (the server's; a pack answers without it). */
  walking?: boolean;
}

/** The questions the map asks. */
export interface Answers {
  nearestShelters(point: Point, options: NearestOptions): Promise<Nearest>;
  hazardsAt(point: Point): Promise<HazardsAt>;
  facility(id: string): Promise<Facility>;
}

/** A source that may have no answer (null): a stored pack that does not cover the place. */
export type MaybeAnswers = {
  [K in keyof Answers]: (...args: Parameters<Answers[K]>) => Promise<Awaited<ReturnType<Answers[K]>> | null>;
};

/**
 * Answers from `online`; when the network fails (not when the server refuses), `unreachable` is
 * told and `offline` answers instead, if it has an answer; else the network error stands.
 */
export function onlineFirst(online: Answers, offline: MaybeAnswers, unreachable: () => void): Answers {
  async function ask<T>(fromServer: () => Promise<T>, fromDevice: () => Promise<T | null>): Promise<T> {
    try {
      return await fromServer();
    } catch (error) {
      if (error instanceof ApiError && error.offline) {
        unreachable();
        const answer = await fromDevice();
        if (answer !== null) return answer;
      }
      throw error;
    }
  }
  return {
    nearestShelters: (point, options) =>
      ask(
        () => online.nearestShelters(point, options),
        () => offline.nearestShelters(point, options),
      ),
    hazardsAt: (point) =>
      ask(
        () => online.hazardsAt(point),
        () => offline.hazardsAt(point),
      ),
    facility: (id) =>
      ask(
        () => online.facility(id),
        () => offline.facility(id),
      ),
  };
}
