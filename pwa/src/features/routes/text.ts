// A route's steps in the reader's language, for the list and for reading aloud.
import { t } from "../../i18n";
import { distance } from "../../lib/format";
import { type RouteStep, UNNAMED } from "./graph";

const WAYS: Record<string, "main" | "road" | "street" | "lane" | "path" | "steps"> = {
  幹線道路: "main",
  道路: "road",
  道: "street",
  路地: "lane",
  歩道: "path",
  階段: "steps",
};
const TURNS = ["straight", "slightLeft", "left", "sharpLeft", "slightRight", "right", "sharpRight", "uturn"] as const;
type Turn = (typeof TURNS)[number];
const DIRECTIONS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"] as const;

/** A street's name, or the kind of way (the server names unnamed ways in Japanese). */
export function wayName(name: string): string {
  const kind = WAYS[name];
  return kind && Object.values(UNNAMED).includes(name) ? t(`route.way.${kind}`) : name;
}

export function stepText(step: RouteStep, destination: string): string {
  // As the server says it: never "0 m" for a short stretch after a turn.
  const walk = { name: wayName(step.name), distance: distance(Math.max(10, step.distanceM)) };
  if (step.maneuver === "arrive") return t("route.arrive", { name: destination });
  if (step.maneuver === "depart") return t("route.depart", walk);
  const turn = (TURNS as readonly string[]).includes(step.maneuver) ? (step.maneuver as Turn) : "straight";
  return t("route.turn", { ...walk, turn: t(`route.maneuver.${turn}`) });
}

/** "north-east" for a bearing in degrees. */
export function direction(bearing: number): string {
  return t(`route.direction.${DIRECTIONS[Math.round(bearing / 45) % 8] ?? "N"}`);
}
