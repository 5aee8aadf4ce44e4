// The layout's rules (README, "The app"): features and shared folders import one another without
// cycles; shared code imports no feature; API paths are written only in the api modules.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = import.meta.dirname;

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.(test|d)\.ts$/.test(name) ? [path] : [];
  });
}

/** "features/shelters" for a feature's files, else the top folder ("lib", "map") or the file. */
function group(path: string): string {
  const parts = relative(SRC, path).split("/");
  if (parts[0] === "features") return `features/${parts[1]}`;
  return parts.length > 1 ? (parts[0] as string) : relative(SRC, path).replace(/\.tsx?$/, "");
}

function graph(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    const from = group(file);
    for (const m of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
      const to = group(resolve(dirname(file), m[1] as string));
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(to);
    }
  }
  return edges;
}

describe("the app's layout", () => {
  const edges = graph();

  it("has no import cycle between features or folders", () => {
    const cycles: string[] = [];
    for (const start of edges.keys()) {
      const stack: string[][] = [[start]];
      while (stack.length > 0) {
        const path = stack.pop() as string[];
        for (const next of edges.get(path.at(-1) as string) ?? []) {
          if (next === start) cycles.push([...path, next].join(" → "));
          else if (!path.includes(next)) stack.push([...path, next]);
        }
      }
    }
    expect(cycles).toEqual([]);
  });

  it("keeps shared code free of features", () => {
    for (const shared of ["api", "lib", "components", "i18n"]) {
      const features = [...(edges.get(shared) ?? [])].filter((g) => g.startsWith("features/"));
      expect(features, shared).toEqual([]);
    }
  });

  it("writes API paths only in the api modules", () => {
    const allowed = (file: string) => /^(api\/client|features\/[\w-]+\/api)\.ts$/.test(file) || file === "sw.ts";
    const offenders = sources(SRC)
      .map((file) => relative(SRC, file))
      .filter((file) => !allowed(file) && /["'`]\/api\//.test(readFileSync(join(SRC, file), "utf8")));
    expect(offenders).toEqual([]);
  });
});
