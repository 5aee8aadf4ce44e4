// A Mapbox Vector Tile (2.1) reader, small enough for the first paint: the sketch map draws our
// own tiles before MapLibre (about 350 KB) has arrived. Reads only what the tiles hold; unknown
// fields are skipped by their wire type.

export type Value = string | number | boolean;
export type Point = [x: number, y: number];

export interface VectorFeature {
  /** 1 point, 2 line, 3 polygon. */
  type: number;
  properties: Record<string, Value>;
  /** Points: one part per point. Lines: one part per line. Polygons: one ring per part. */
  parts: Point[][];
}

export interface VectorLayer {
  name: string;
  extent: number;
  features: VectorFeature[];
}

class Reader {
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    readonly end = bytes.length,
  ) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = this.bytes[this.pos++] ?? 0;
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80 && this.pos < this.end);
    return value;
  }

  /** An int64 (negative ones take ten bytes, beyond a double's exact range). */
  int64(): number {
    let value = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.bytes[this.pos++] ?? 0;
      value |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte >= 0x80 && this.pos < this.end);
    return Number(BigInt.asIntN(64, value));
  }

  /** A length-delimited field's own reader; the caller's position moves past it. */
  sub(): Reader {
    const length = this.varint();
    const inner = new Reader(this.bytes, this.pos + length);
    inner.pos = this.pos;
    this.pos += length;
    return inner;
  }

  string(): string {
    const inner = this.sub();
    return new TextDecoder().decode(this.bytes.subarray(inner.pos, inner.end));
  }

  view(length: number): DataView {
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, length);
    this.pos += length;
    return view;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.pos += this.varint();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`vector tile: unknown wire type ${wire}`);
  }

  /** Each field's number and wire type, until the end of this message. */
  *fields(): Generator<[field: number, wire: number]> {
    while (this.pos < this.end) {
      const key = this.varint();
      yield [Math.floor(key / 8), key & 7];
    }
  }
}

const zigzag = (n: number) => (n % 2 === 1 ? -(n + 1) / 2 : n / 2);

function value(reader: Reader): Value | undefined {
  let found: Value | undefined;
  for (const [field, wire] of reader.fields()) {
    if (field === 1) found = reader.string();
    else if (field === 2) found = reader.view(4).getFloat32(0, true);
    else if (field === 3) found = reader.view(8).getFloat64(0, true);
    else if (field === 4) found = reader.int64();
    else if (field === 5) found = reader.varint();
    else if (field === 6) found = zigzag(reader.varint());
    else if (field === 7) found = reader.varint() !== 0;
    else reader.skip(wire);
  }
  return found;
}

function packed(reader: Reader): number[] {
  const inner = reader.sub();
  const numbers: number[] = [];
  while (inner.pos < inner.end) numbers.push(inner.varint());
  return numbers;
}

/** Commands to parts: MoveTo starts a part, LineTo extends it, ClosePath closes a ring. */
export function decodeGeometry(commands: number[]): Point[][] {
  const parts: Point[][] = [];
  let x = 0;
  let y = 0;
  let part: Point[] | undefined;
  for (let i = 0; i < commands.length; ) {
    const command = commands[i++] ?? 0;
    const id = command & 7;
    const count = command >> 3;
    if (id === 7) {
      if (part?.[0]) part.push([part[0][0], part[0][1]]);
      continue;
    }
    for (let n = 0; n < count; n++) {
      x += zigzag(commands[i++] ?? 0);
      y += zigzag(commands[i++] ?? 0);
      if (id === 1) {
        part = [];
        parts.push(part);
      }
      part?.push([x, y]);
    }
  }
  return parts;
}

function feature(reader: Reader, keys: string[], values: (Value | undefined)[]): VectorFeature {
  let type = 0;
  let tags: number[] = [];
  let geometry: number[] = [];
  for (const [field, wire] of reader.fields()) {
    if (field === 2) tags = packed(reader);
    else if (field === 3) type = reader.varint();
    else if (field === 4) geometry = packed(reader);
    else reader.skip(wire);
  }
  const properties: Record<string, Value> = {};
  for (let i = 0; i + 1 < tags.length; i += 2) {
    const key = keys[tags[i] ?? -1];
    const found = values[tags[i + 1] ?? -1];
    if (key !== undefined && found !== undefined) properties[key] = found;
  }
  return { type, properties, parts: decodeGeometry(geometry) };
}

function layer(reader: Reader): VectorLayer {
  let name = "";
  let extent = 4096;
  const keys: string[] = [];
  const values: (Value | undefined)[] = [];
  const features: Reader[] = [];
  for (const [field, wire] of reader.fields()) {
    if (field === 1) name = reader.string();
    else if (field === 2) features.push(reader.sub());
    else if (field === 3) keys.push(reader.string());
    else if (field === 4) values.push(value(reader.sub()));
    else if (field === 5) extent = reader.varint();
    else reader.skip(wire);
  }
  // Features may come before the keys and values they point to: read them last.
  return { name, extent, features: features.map((f) => feature(f, keys, values)) };
}

/** The tile's layers by name. */
export function decodeTile(bytes: Uint8Array): Map<string, VectorLayer> {
  const layers = new Map<string, VectorLayer>();
  const reader = new Reader(bytes);
  for (const [field, wire] of reader.fields()) {
    if (field === 3) {
      const decoded = layer(reader.sub());
      layers.set(decoded.name, decoded);
    } else reader.skip(wire);
  }
  return layers;
}
