// The size budget, as the server sends it (brotli: the precompressed copies of scripts/compress.mjs;
// gzip for a file without one) — what a resident's first visit downloads:
// - the shell: the entry script, its static imports and CSS. Every screen but the map paints and
//   works with these, so its budget is small;
// - the map screen: the shell plus the MapView chunk with MapLibre, and MapLibre's worker (fetched
//   at the same time). MapLibre alone is about 350 KB brotli (library and worker), so this budget is the
//   library plus a little of ours.
// Other lazy chunks (staff screens, the QR reader) are listed apart. Exits 1 over either budget.
// Usage: node scripts/size.mjs [--json FILE]
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const SHELL_BUDGET_KB = 80;
const BUDGET_KB = 420;
const dist = join(import.meta.dirname, "..", "dist");
const html = readFileSync(join(dist, "index.html"), "utf8");
const sent = (file) => {
  const path = join(dist, file);
  return (existsSync(`${path}.br`) ? readFileSync(`${path}.br`).length : gzipSync(readFileSync(path)).length) / 1024;
};
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
// The map screen's chunk, and MapLibre's worker (fetched beside it: src/features/map/load.ts).
const map = closure(
  assets.filter((a) => /\/(?:MapView-|maplibre-gl-worker-)[^/]+\.js$/.test(a)),
  new Set(shell),
);
const sized = (files) => [...files].map((file) => ({ file, kb: sent(file) }));
const sum = (files) => files.reduce((total, f) => total + f.kb, 0);
const shellFiles = sized(shell);
const mapFiles = sized([...map].filter((file) => !shell.has(file)));
const shellKb = sum(shellFiles);
const total = shellKb + sum(mapFiles);
const later = sized(assets.filter((file) => !map.has(file)));

const line = (f) => `  ${f.kb.toFixed(1).padStart(7)} KB  ${f.file}`;
console.log(`resident first visit (as sent, brotli): ${total.toFixed(1)} KB of ${BUDGET_KB} KB budget`);
console.log(`  the shell, painted before the map library arrives: ${shellKb.toFixed(1)} KB of ${SHELL_BUDGET_KB} KB`);
for (const f of shellFiles) console.log(line(f));
console.log("  then the map screen (MapLibre and its worker):");
for (const f of mapFiles) console.log(line(f));
console.log("loaded later (lazy screens):");
for (const f of later) console.log(line(f));
const jsonAt = process.argv.indexOf("--json");
if (jsonAt > 0) {
  writeFileSync(
    process.argv[jsonAt + 1],
    JSON.stringify(
      {
        budgetKb: BUDGET_KB,
        shellBudgetKb: SHELL_BUDGET_KB,
        entryKb: total,
        shellKb,
        entry: [...shellFiles, ...mapFiles],
        later,
      },
      null,
      1,
    ),
  );
}
if (total > BUDGET_KB || shellKb > SHELL_BUDGET_KB) {
  console.error(
    `over budget: ${total.toFixed(1)} of ${BUDGET_KB} KB, the shell ${shellKb.toFixed(1)} of ${SHELL_BUDGET_KB} KB`,
  );
  process.exit(1);
}
