/**
 * Where a worker thread's script is. Workers run compiled JavaScript: a module loaded from its TypeScript
 * source (as the tests load it) finds the script's build under `dist/`, in the same place as under `src/`.
 */
export function workerScriptUrl(script: string, moduleUrl: string): URL {
  const url = new URL(script, moduleUrl);
  if (!moduleUrl.endsWith(".ts")) return url;
  const at = url.pathname.lastIndexOf("/src/");
  url.pathname = `${url.pathname.slice(0, at)}/dist/${url.pathname.slice(at + "/src/".length)}`;
  return url;
}
