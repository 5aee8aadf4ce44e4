// Precompressed copies of the built files, for the server to send as they are (server/web/static.py):
// FILE.br (brotli, best quality) and FILE.gz (gzip -9) beside each text file that shrinks by a tenth
// or more. Never the offline packs (.pmtiles: read by Range, already compressed inside) or images.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dist = join(import.meta.dirname, "..", "dist");
const TEXT = /\.(?:js|mjs|css|html|svg|json|webmanifest|wasm|txt)$/;
const MINIMUM = 1024;

function* files(folder) {
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let before = 0;
let after = 0;
for (const path of [...files(dist)]) {
  if (!TEXT.test(path)) continue;
  const raw = readFileSync(path);
  if (raw.length < MINIMUM) continue;
  const br = brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  });
  if (br.length > raw.length * 0.9) continue;
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
  before += raw.length;
  after += br.length;
}
console.log(`precompressed: ${(before / 1024).toFixed(0)} KB of text files -> ${(after / 1024).toFixed(0)} KB brotli`);
