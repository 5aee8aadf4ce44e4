// The app's API types, generated from the server's OpenAPI document (`npm run api`, `make api`):
// src/api/openapi.json (written by `python -m server.openapi`) → src/api/schema.d.ts.
//
// openapi-typescript builds its output with TypeScript's compiler API, which TypeScript 7 (the
// native compiler this project type-checks with) no longer ships: its imports of "typescript" are
// sent to the TypeScript 5 installed beside it as "typescript-5".
import { writeFileSync } from "node:fs";
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const fromGenerator = context.parentURL?.includes("/node_modules/openapi-typescript/");
  return next(specifier === "typescript" && fromGenerator ? "typescript-5" : specifier, context);
}`)}`,
);

const { default: openapiTS, astToString, COMMENT_HEADER } = await import("openapi-typescript");
const source = new URL("../src/api/openapi.json", import.meta.url);
const target = new URL("../src/api/schema.d.ts", import.meta.url);
const ast = await openapiTS(source, { alphabetize: true });
writeFileSync(target, COMMENT_HEADER + astToString(ast));
console.log(`wrote ${target.pathname}`);
