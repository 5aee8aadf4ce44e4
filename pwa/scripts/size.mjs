// The size budget, as the build reports it: what a resident's first visit downloads — the shell
// (the entry script, its static imports and its CSS: the app paints and works with these) and the
// map screen (the shell plus the MapView chunk with MapLibre) against 350 KB gzip; the map worker
// and other lazy chunks are listed apart. Exits 1 over budget. Usage: node scripts/size.mjs [--json FILE]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 350;
const dist = join(import.meta.dirname, "..", "dist");
const html = readFileSync(join(dist, "index.html"), "utf8");
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length / 1024;
const assets = readdirSync(join(dist, "assets"))
  .filter((name) => !/\.(?:br|gz)$/.test(name)) // the precompressed copies (scripts/compress.mjs)
  .map((name) => `assets/${name}`);

/** ``files`` and what they import statically (import ... from "./x.js"), each once. */
function closure(files, seen = new Set()) {
  const queue = [...files];
  while (queue.length > 0) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith(".js")) continue;
    const code = readFileSync(join(dist, file), "utf8");
    for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^"'()]*?from\s*)?["']\.\/([^"']+\.(?:js|css))["']/g)) {
      queue.push(`assets/${m[1]}`);
    }
    // Vite's preload list of a dynamic import names the CSS that goes with it.
    if (file.includes("/MapView-")) queue.push(...assets.filter((a) => /\/maplibre-[^/]+\.css$/.test(a)));
  }
  return seen;
}

// The shell: what index.html loads up front (script, preloads, styles).
const shell = closure([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]));
const map = closure(
  assets.filter((a) => /\/MapView-[^/]+\.js$/.test(a)),
  new Set(shell),
);
const sized = (files) => [...files].map((file) => ({ file, kb: gz(file) }));
const sum = (files) => files.reduce((total, f) => total + f.kb, 0);
const shellFiles = sized(shell);
const mapFiles = sized([...map].filter((file) => !shell.has(file)));
const shellKb = sum(shellFiles);
const total = shellKb + sum(mapFiles);
const later = sized(assets.filter((file) => !map.has(file)));

const line = (f) => `  ${f.kb.toFixed(1).padStart(7)} KB  ${f.file}`;
console.log(`resident first visit (gzip): ${total.toFixed(1)} KB of ${BUDGET_KB} KB budget`);
console.log(`  the shell, painted before the map library arrives: ${shellKb.toFixed(1)} KB`);
for (const f of shellFiles) console.log(line(f));
console.log("  then the map screen:");
for (const f of mapFiles) console.log(line(f));
console.log("loaded later (map worker, lazy screens):");
for (const f of later) console.log(line(f));
const jsonAt = process.argv.indexOf("--json");
if (jsonAt > 0) {
  writeFileSync(
    process.argv[jsonAt + 1],
    JSON.stringify(
      { budgetKb: BUDGET_KB, entryKb: total, shellKb, entry: [...shellFiles, ...mapFiles], later },
      null,
      1,
    ),
  );
}
if (total > BUDGET_KB) {
  console.error(`over budget by ${(total - BUDGET_KB).toFixed(1)} KB`);
  process.exit(1);
}
