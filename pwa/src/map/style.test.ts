// The hazard colours stay apart for colour-blind readers: simulated protanopia, deuteranopia and
// tritanopia (Machado, Oliveira & Fernandes 2009, severity 1), compared in CIELAB (ΔE 1976).
import { describe, expect, it } from "vitest";
import { HAZARD_TYPES, type HazardType } from "../features/hazards/api";
import { DEPTH_BANDS, HAZARD_COLOURS, LOOKS } from "./style";

type Matrix = [number, number, number][];
const VISION: Record<string, Matrix> = {
  typical: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

function lab(hex: string, m: Matrix): [number, number, number] {
  const rgb = [1, 3, 5].map((i) => linear(Number.parseInt(hex.slice(i, i + 2), 16) / 255));
  const [r = 0, g = 0, b = 0] = m.map((row) =>
    Math.min(
      1,
      Math.max(
        0,
        row.reduce((sum, k, i) => sum + k * (rgb[i] ?? 0), 0),
      ),
    ),
  );
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

const distance = (a: string, b: string, m: Matrix) => {
  const [p, q] = [lab(a, m), lab(b, m)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
};

/** Solid, hatched (a fill pattern) or dashed-edged: a cue that needs no colour vision. */
function texture(hazard: HazardType): string {
  if (LOOKS[hazard].fill && "fill-pattern" in LOOKS[hazard].fill) return "hatched";
  return LOOKS[hazard].line && "line-dasharray" in LOOKS[hazard].line ? "dashed" : "solid";
}

describe("hazard colours", () => {
  it("flood depth uses the 手引き's six standard colours, shallow to deep", () => {
    expect(DEPTH_BANDS.map((b) => b.colour)).toEqual([
      "#f7f5a9",
      "#ffd8c0",
      "#ffb7b7",
      "#ff9191",
      "#f285c9",
      "#dc7adc",
    ]);
    expect(JSON.stringify(LOOKS.flood.fill)).toContain("#dc7adc");
  });

  it.each(Object.keys(VISION))("two hazards drawn alike differ in colour for %s vision", (vision) => {
    const matrix = VISION[vision] as Matrix;
    const close: string[] = [];
    for (const [i, a] of HAZARD_TYPES.entries()) {
      for (const b of HAZARD_TYPES.slice(i + 1)) {
        if (texture(a) !== texture(b)) continue;
        const d = distance(HAZARD_COLOURS[a], HAZARD_COLOURS[b], matrix);
        if (d < 15) close.push(`${a}/${b}: ${d.toFixed(1)}`);
      }
    }
    expect(close).toEqual([]);
  });
});
