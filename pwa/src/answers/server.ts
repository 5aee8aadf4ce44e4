// Answers from the server's API.
import { facility, nearest } from "../features/facilities/api";
import { hazardsAt } from "../features/hazards/api";
import type { Answers } from "./answers";

export const serverAnswers: Answers = {
  nearestShelters: ({ lat, lon }, { hazard, limit, walking }) => nearest(lat, lon, hazard, limit, undefined, walking),
  hazardsAt: ({ lat, lon }) => hazardsAt(lat, lon),
  facility: (id) => facility(id),
};
