// Headquarters' drawing of an order's area, as GeoJSON rings.

/** The ring drawn so far, closed (a polygon needs three corners). */
export function ring(points: readonly [number, number][]): [number, number][] | null {
  if (points.length < 3) return null;
  return [...points, points[0] as [number, number]];
}

/** A circle as a polygon of 48 sides (for drawing only: the server makes its own, in metres). */
export function circleRing(lat: number, lon: number, radiusM: number): [number, number][] {
  const dLat = radiusM / 111_320;
  const dLon = radiusM / (111_320 * Math.cos((lat * Math.PI) / 180));
  const out: [number, number][] = [];
  for (let i = 0; i <= 48; i++) {
    const a = (2 * Math.PI * i) / 48;
    out.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return out;
}
