import { effect } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { TILE_URL } from "../../api/client";
import { t } from "../../i18n";
import { union } from "../../lib/geometry";
import { decodeTile, type VectorLayer } from "../../map/mvt";
import {
  facilityAt,
  fitView,
  isPattern,
  MIN_START_ZOOM,
  type Placed,
  place as placeOnScreen,
  type TilePlace,
  tilesFor,
  toScreen,
  type View,
  zoneLook,
} from "../../map/sketch";
import { hiddenHazards, openFacility, place, sketchSettled } from "../../map/state";
import { preferredScheme, SCHEMES } from "../../map/style";
import { BADGE_STATUSES, type BadgeStatus, drawPattern, drawStatusBadge, drawSymbol } from "../../map/symbols";
import { FACILITY_KINDS, type FacilityKind } from "../facilities/api";
import { ZONE_TYPES, type ZoneType } from "../hazards/api";
import { type Bbox, municipalities } from "../municipalities/api";
import { storedPacks } from "../packs/stored";
import { liveShelters } from "./liveShelters";

declare global {
  interface Window {
    /** The facilities drawn on the sketch, in CSS pixels of its canvas, for end-to-end tests. */
    __bosaiSketch?: { id: string; x: number; y: number }[];
  }
}
const SYMBOL_PX = 22;
const BADGE_PX = 16;

async function startingBounds(): Promise<Bbox | null> {
  try {
    return union((await municipalities()).flatMap((m) => (m.bbox ? [m.bbox] : [])));
  } catch {
    return union(storedPacks.value.map((p) => p.manifest.bbox));
  }
}

type Tile = { place: TilePlace; layers: Map<string, VectorLayer> };

async function fetchTile(place: TilePlace): Promise<Tile> {
  const url = TILE_URL.replace("{z}", String(place.z)).replace("{x}", String(place.x)).replace("{y}", String(place.y));
  const answer = await fetch(url, { priority: "high" });
  if (!answer.ok) throw new Error(`${url}: HTTP ${answer.status}`);
  return { place, layers: decodeTile(new Uint8Array(await answer.arrayBuffer())) };
}

function path(c: CanvasRenderingContext2D, parts: Placed["parts"]): void {
  c.beginPath();
  for (const part of parts) {
    for (const [i, [x, y]] of part.entries()) {
      if (i === 0) c.moveTo(x, y);
      else c.lineTo(x, y);
    }
  }
}

function draw(canvas: HTMLCanvasElement, view: View, tiles: Tile[], hidden: ReadonlySet<ZoneType>): Placed[] {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(view.width * ratio);
  canvas.height = Math.round(view.height * ratio);
  const c = canvas.getContext("2d");
  if (c === null) return [];
  const dark = preferredScheme() === "dark";
  const colours = SCHEMES[dark ? "dark" : "light"];
  c.scale(ratio, ratio);
  c.fillStyle = colours.background;
  c.fillRect(0, 0, view.width, view.height);
  const layer = (name: string) => tiles.flatMap((tile) => placeOnScreen(tile.layers.get(name), tile.place));

  c.lineCap = "round";
  c.lineJoin = "round";
  for (const { feature, parts } of layer("roads")) {
    const main = ["trunk", "primary", "secondary"].includes(String(feature.properties.class));
    c.strokeStyle = ["path", "steps"].includes(String(feature.properties.class)) ? "#d3cec3" : "#ffffff";
    c.lineWidth = main ? 2 : 1;
    path(c, parts);
    c.stroke();
  }
  const zones = layer("hazards");
  for (const hazard of ZONE_TYPES) {
    if (hidden.has(hazard)) continue;
    for (const { feature, parts } of zones.filter((z) => z.feature.properties.hazardType === hazard)) {
      const look = zoneLook(hazard, feature.properties);
      path(c, parts);
      // As the full map: on a dark ground the pale depth colours need more opacity.
      c.globalAlpha = dark && !isPattern(look.fill) ? Math.min(0.9, look.opacity + 0.15) : look.opacity;
      c.fillStyle = isPattern(look.fill) ? (c.createPattern(drawPattern(look.fill, 12), "repeat") ?? "") : look.fill;
      c.fill("evenodd");
      c.globalAlpha = 1;
      c.strokeStyle = look.stroke;
      c.lineWidth = look.width;
      c.setLineDash(look.dash);
      c.stroke();
      c.setLineDash([]);
    }
  }
  c.strokeStyle = colours.boundary;
  c.lineWidth = 2;
  c.setLineDash([6, 4]);
  for (const { parts } of layer("boundaries")) {
    path(c, parts);
    c.stroke();
  }
  c.setLineDash([]);

  const facilities = layer("facilities").filter(({ parts }) => {
    const [x, y] = parts[0]?.[0] ?? [-1, -1];
    return x >= -SYMBOL_PX && y >= -SYMBOL_PX && x <= view.width + SYMBOL_PX && y <= view.height + SYMBOL_PX;
  });
  const symbols = new Map<string, HTMLCanvasElement>();
  for (const { feature, parts } of facilities) {
    const kind = String(feature.properties.kind);
    if (!FACILITY_KINDS.includes(kind as FacilityKind)) continue;
    const symbol = symbols.get(kind) ?? drawSymbol(kind as FacilityKind, Math.round(SYMBOL_PX * ratio));
    symbols.set(kind, symbol);
    const [x, y] = parts[0]?.[0] ?? [0, 0];
    c.drawImage(symbol, x - SYMBOL_PX / 2, y - SYMBOL_PX / 2, SYMBOL_PX, SYMBOL_PX);
  }
  for (const shelter of liveShelters.value) {
    if (!BADGE_STATUSES.includes(shelter.status as BadgeStatus)) continue;
    const [x, y] = toScreen(view, shelter.lon, shelter.lat);
    const badge = drawStatusBadge(shelter.status as BadgeStatus, Math.round(BADGE_PX * ratio));
    c.drawImage(badge, x + SYMBOL_PX / 2 - BADGE_PX / 2, y - SYMBOL_PX / 2 - BADGE_PX / 2, BADGE_PX, BADGE_PX);
  }
  const here = place.value;
  if (here) {
    const [x, y] = toScreen(view, here.lon, here.lat);
    c.beginPath();
    c.arc(x, y, 9, 0, 2 * Math.PI);
    c.fillStyle = colours.here;
    c.fill();
    c.lineWidth = 3;
    c.strokeStyle = colours.halo;
    c.stroke();
  }
  return facilities;
}

/** The first map on a weak signal: the view's tiles on a canvas; a tap on a shelter opens its
 * sheet. Covers the full map until that one is drawn. */
export function SketchMap() {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const element = canvas.current;
    if (element === null) return;
    let stop = () => {};
    let facilities: Placed[] = [];
    let cancelled = false;
    const tap = (event: PointerEvent) => {
      const box = element.getBoundingClientRect();
      const id = facilityAt(facilities, event.clientX - box.left, event.clientY - box.top, SYMBOL_PX);
      if (id) openFacility.value = id;
    };
    element.addEventListener("pointerup", tap);
    void (async () => {
      try {
        const bounds = await startingBounds();
        if (bounds === null || cancelled) return;
        const view = fitView(bounds, element.clientWidth, element.clientHeight, 16, MIN_START_ZOOM);
        const tiles = await Promise.all(tilesFor(view).map(fetchTile));
        if (cancelled) return;
        // Redrawn when a place is chosen, a hazard hidden or the live status comes.
        stop = effect(() => {
          facilities = draw(element, view, tiles, hiddenHazards.value);
          window.__bosaiSketch = facilities.map(({ feature, parts }) => ({
            id: String(feature.properties.id),
            x: parts[0]?.[0]?.[0] ?? 0,
            y: parts[0]?.[0]?.[1] ?? 0,
          }));
          element.dataset.drawn = "true";
        });
      } catch {
        // The full map says what failed; the sketch only steps aside.
      } finally {
        sketchSettled.value = true;
      }
    })();
    return () => {
      cancelled = true;
      stop();
      element.removeEventListener("pointerup", tap);
    };
  }, []);

  return <canvas ref={canvas} class="map sketch" role="img" aria-label={t("map.sketch")} />;
}
