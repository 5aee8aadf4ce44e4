import { useEffect, useRef } from "preact/hooks";
import { language, t } from "../../../i18n";
import { langAttribute, localName } from "../../../lib/names";
import { maplibregl } from "../../../map/maplibre";
import { buildStyle } from "../../../map/style";
import { provideSymbols, STATUS_BADGES } from "../../../map/symbols";
import type { Occupancy } from "../api";
import { careCount } from "./table";

declare global {
  interface Window {
    /** The headquarters map, for end-to-end tests. */
    __bosaiHqMap?: maplibregl.Map;
  }
}

const SVG = "http://www.w3.org/2000/svg";

/** Where markers show their labels (desk.css: not on a phone). */
const LABELLED = globalThis.matchMedia?.("(min-width: 40rem)") ?? { matches: true };

/** "12 / 40" (people and the operating capacity), or "12" without one. */
export const peopleText = (s: Occupancy) => (s.capacity ? `${s.people} / ${s.capacity}` : String(s.people));

function badge(status: Occupancy["status"]): SVGSVGElement {
  const { shape, mark, colour } = STATUS_BADGES[status];
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "-1 -1 26 26");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const [d, fill, width] of [
    [shape, colour, "2"],
    [mark, "none", "3"],
  ] as const) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", fill);
    path.setAttribute("stroke", "#fff");
    path.setAttribute("stroke-width", width);
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
    svg.append(path);
  }
  return svg;
}

function span(className: string, text: string): HTMLSpanElement {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

/** A shelter's marker: its status as a shape with a mark, its name, people against capacity with a
 * fill bar, and a care-needs flag in words: never colour alone. A button for the keyboard too
 * (Tab reaches it, Enter or Space opens the same detail as a click), named by what it shows and its
 * status in words; the table beside the map holds the same shelters. */
function fillMarker(element: HTMLElement, s: Occupancy, selected: boolean): void {
  const care = careCount(s);
  const people = peopleText(s);
  // MapLibre's own classes on the element place it: only data attributes change here.
  element.dataset.shelter = s.shelterId;
  element.dataset.status = s.status;
  element.dataset.selected = String(selected);
  const label = document.createElement("span");
  label.className = "hq-marker-label";
  // The status in words for screen readers, between the name and the people: the marker's name is
  // what it shows (speech input users say what they see), and says what the shape says.
  const status = span("visually-hidden", t("hq.markerStatus", { status: t(`status.${s.status}`) }));
  const shown = localName(s, language.value);
  const name = span("hq-marker-name", shown.text);
  const lang = langAttribute(shown.lang);
  if (lang) name.lang = lang;
  label.append(name, status, span("hq-marker-people", people));
  if (care) label.append(span("hq-marker-care", ` ${t("hq.careCount", { count: care })}`));
  const bar = document.createElement("span");
  bar.className = "hq-marker-fill";
  const filled = document.createElement("span");
  filled.style.width = `${Math.min(100, Math.round((s.fill ?? 0) * 100))}%`;
  bar.append(filled);
  label.append(bar);
  element.title = `${shown.text}: ${t(`status.${s.status}`)}`;
  element.setAttribute("aria-pressed", String(selected));
  // A phone shows badges alone, often touching: no targets for a keyboard or a screen reader there
  // (the table below the map names the same shelters and opens the same detail).
  if (LABELLED.matches) {
    element.setAttribute("role", "button");
    element.tabIndex = 0;
    element.removeAttribute("aria-hidden");
  } else {
    element.removeAttribute("role");
    element.removeAttribute("tabindex");
    element.setAttribute("aria-hidden", "true");
  }
  element.replaceChildren(badge(s.status), label);
}

/** Phones (CSS, below 40rem) show the markers without their labels. */
const fitPadding = (width: number) =>
  width < 640 ? 32 : { top: 48, bottom: 48, left: 48, right: Math.min(200, width * 0.3) };

/** The shelters on a full-height map, each a labelled marker; a click opens its detail. */
export function ShelterMap({
  shelters,
  selected,
  onSelect,
}: {
  shelters: Occupancy[];
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<maplibregl.Map | null>(null);
  const markers = useRef(new Map<string, { marker: maplibregl.Marker; element: HTMLElement }>());
  const select = useRef(onSelect);
  select.current = onSelect;
  const fitted = useRef(false);

  useEffect(() => {
    if (!container.current) return;
    const created = new maplibregl.Map({
      container: container.current,
      style: buildStyle(location.origin),
      localIdeographFontFamily: "'Noto Sans CJK JP', 'Hiragino Sans', sans-serif",
      attributionControl: false,
      center: [140.76, 40.8],
      zoom: 11,
    });
    provideSymbols(created);
    created.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    // The markers show the open shelters: the resident map's status badges would repeat them.
    // Other facilities stay as faint context, so the open shelters stand out.
    created.on("load", () => {
      created.setLayoutProperty("shelter-status", "visibility", "none");
      created.setPaintProperty("facilities", "icon-opacity", 0.45);
    });
    map.current = created;
    window.__bosaiHqMap = created;
    const placed = markers.current;
    return () => {
      placed.clear();
      created.remove();
      map.current = null;
      window.__bosaiHqMap = undefined;
    };
  }, []);

  useEffect(() => {
    const shown = map.current;
    if (!shown) return;
    const placed = markers.current;
    const present = new Set<string>();
    for (const s of shelters) {
      present.add(s.shelterId);
      let entry = placed.get(s.shelterId);
      if (!entry) {
        const element = document.createElement("div");
        element.classList.add("hq-marker");
        element.addEventListener("click", (event) => {
          event.stopPropagation();
          select.current(s.shelterId);
        });
        element.addEventListener("keydown", (event) => {
          if (event.key !== "Enter" && event.key !== " ") return;
          event.preventDefault(); // Space would scroll the page, Enter reach the map's handlers
          event.stopPropagation();
          select.current(s.shelterId);
        });
        const marker = new maplibregl.Marker({ element, anchor: "left", offset: [-12, 0] })
          .setLngLat([s.lon, s.lat])
          .addTo(shown);
        entry = { marker, element };
        placed.set(s.shelterId, entry);
      }
      entry.marker.setLngLat([s.lon, s.lat]);
      fillMarker(entry.element, s, s.shelterId === selected);
    }
    for (const [id, entry] of placed) {
      if (!present.has(id)) {
        entry.marker.remove();
        placed.delete(id);
      }
    }
    if (!fitted.current && shelters.length > 0) {
      fitted.current = true;
      const lons = shelters.map((s) => s.lon);
      const lats = shelters.map((s) => s.lat);
      shown.fitBounds(
        [
          [Math.min(...lons), Math.min(...lats)],
          [Math.max(...lons), Math.max(...lats)],
        ],
        // Room on the right for the labels, which stand to the right of their point (a phone
        // shows no labels: its whole width is the shelters').
        { padding: fitPadding(shown.getContainer().clientWidth), maxZoom: 15, duration: 0 },
      );
    }
  }, [shelters, selected]);

  useEffect(() => {
    const entry = selected ? markers.current.get(selected) : undefined;
    if (entry && map.current && !map.current.getBounds().contains(entry.marker.getLngLat())) {
      map.current.easeTo({ center: entry.marker.getLngLat() });
    }
  }, [selected]);

  return <div ref={container} class="map hq-map" data-testid="hq-map" />;
}
