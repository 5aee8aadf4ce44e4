// Small geometry for offline answers, in the browser: tiles, sphere distance, point in rings.

export const EARTH_RADIUS_M = 6371008.8; // the mean radius PostGIS uses for sphere distances

/** Fractional Web Mercator tile coordinates of a point at zoom z. */
export function tileXY(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const clamped = Math.max(Math.min(lat, 85.05112878), -85.05112878);
  const x = ((lon + 180) / 360) * n;
  const y = ((1 - Math.asinh(Math.tan((clamped * Math.PI) / 180)) / Math.PI) / 2) * n;
  return [x, y];
}

export function greatCircleM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dp = (lat2 - lat1) * rad;
  const dl = (lon2 - lon1) * rad;
  const a = Math.sin(dp / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(a));
}

/** Even-odd rule over every ring of a polygon feature: holes and separate parts both work. */
export function insideRings(rings: ReadonlyArray<ReadonlyArray<{ x: number; y: number }>>, x: number, y: number) {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[i] as { x: number; y: number };
      const b = ring[j] as { x: number; y: number };
      if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
    }
  }
  return inside;
}

type Box = [west: number, south: number, east: number, north: number];

/** The box around all of `boxes` (null for none). */
export function union<B extends Box>(boxes: B[]): B | null {
  if (boxes.length === 0) return null;
  return boxes.reduce(
    (a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])] as B,
  );
}
