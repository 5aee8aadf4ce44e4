// The size budget, as the build reports it: what a resident's first visit downloads (the entry
// script, its static imports and its CSS, MapLibre included) against 350 KB gzip; the map worker
// and lazily loaded chunks are listed apart. Exits 1 over budget. Usage: node scripts/size.mjs [--json FILE]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 350;
const dist = join(import.meta.dirname, "..", "dist");
const html = readFileSync(join(dist, "index.html"), "utf8");
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length / 1024;

// The entry and what index.html loads up front (script, preloads, styles).
const upFront = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const seen = new Set();
const queue = [...upFront];
while (queue.length > 0) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  seen.add(file);
  if (file.endsWith(".js")) {
    // static imports between chunks: import ... from "./x.js"
    for (const m of readFileSync(join(dist, file), "utf8").matchAll(
      /(?:^|[;\n}])\s*import\s*(?:[^"'()]*?from\s*)?["']\.\/([^"']+\.js)["']/g,
    )) {
      queue.push(`assets/${m[1]}`);
    }
  }
}
const entry = [...seen].map((file) => ({ file, kb: gz(file) }));
const total = entry.reduce((sum, f) => sum + f.kb, 0);
const { readdirSync } = await import("node:fs");
const later = readdirSync(join(dist, "assets"))
  .filter((name) => !/\.(?:br|gz)$/.test(name)) // the precompressed copies (scripts/compress.mjs)
  .map((name) => `assets/${name}`)
  .filter((file) => !seen.has(file))
  .map((file) => ({ file, kb: gz(file) }));

const line = (f) => `  ${f.kb.toFixed(1).padStart(7)} KB  ${f.file}`;
console.log(`resident entry (gzip): ${total.toFixed(1)} KB of ${BUDGET_KB} KB budget`);
for (const f of entry) console.log(line(f));
console.log("loaded later (map worker, lazy screens):");
for (const f of later) console.log(line(f));
const jsonAt = process.argv.indexOf("--json");
if (jsonAt > 0) {
  writeFileSync(
    process.argv[jsonAt + 1],
    JSON.stringify({ budgetKb: BUDGET_KB, entryKb: total, entry, later }, null, 1),
  );
}
if (total > BUDGET_KB) {
  console.error(`over budget by ${(total - BUDGET_KB).toFixed(1)} KB`);
  process.exit(1);
}
