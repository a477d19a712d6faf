// ESM resolve hook: refuses Node built-ins (`node:fs`, and bare `fs`, `crypto`, `buffer`…) to every
// module except the harness itself, i.e. to the module under test and everything it imports (jose).
import { builtinModules } from "node:module";

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
let allowedParent = "";

export function initialize(data) {
  allowedParent = data.allowedParent;
}

export async function resolve(specifier, context, nextResolve) {
  const isBuiltin = specifier.startsWith("node:") || BUILTINS.has(specifier) || BUILTINS.has(specifier.split("/")[0]);
  if (isBuiltin && context.parentURL !== undefined && context.parentURL !== allowedParent) {
    throw new Error(`NODE_BUILTIN_IMPORT: ${specifier} imported by ${context.parentURL}`);
  }
  return nextResolve(specifier, context);
}
