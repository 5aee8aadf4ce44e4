// The trend chart's geometry: a series of counts as an SVG polyline in a box, with a rounded top.

export interface Box {
  width: number;
  height: number;
}

/** A round top for the vertical scale (1, 2, 5 × 10ⁿ), never below `least`. */
export function niceMax(largest: number, least = 5): number {
  const top = Math.max(largest, least);
  const power = 10 ** Math.floor(Math.log10(top));
  for (const step of [1, 2, 5, 10]) if (step * power >= top) return step * power;
  return 10 * power;
}

/** The points of `values` spread over the box's width (the first at x = 0), scaled to `top`. */
export function points(values: readonly number[], top: number, box: Box): string {
  if (values.length === 0) return "";
  const dx = values.length > 1 ? box.width / (values.length - 1) : 0;
  return values.map((v, i) => `${(i * dx).toFixed(1)},${(box.height - (v / top) * box.height).toFixed(1)}`).join(" ");
}
