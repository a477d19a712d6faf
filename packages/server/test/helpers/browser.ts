import { accessSync, constants, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";

/** Debian's Chromium (scripts/ensure-chromium.mjs installs it under CI=true), or TIDINGS_CHROMIUM. */
export const CHROMIUM = process.env.TIDINGS_CHROMIUM ?? "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether browser tests can run here. Under CI=true a missing Chromium is an error, never a skip; elsewhere the
 * test skips and says why.
 */
export function chromiumAvailable(): boolean {
  if (executable(CHROMIUM)) return true;
  const why = `${CHROMIUM} is missing: install it with \`apt-get install chromium\` (npm test does under CI=true) or set TIDINGS_CHROMIUM`;
  if (process.env.CI === "true") throw new Error(`the dashboard browser test must run under CI: ${why}`);
  console.warn(`skipping the dashboard browser test: ${why}`);
  return false;
}

/**
 * The browser runs on the machine's clock. Under libfaketime (the any-date run: `faketime '+400 days' npm test`)
 * every child inherits its preload, and Chromium hangs under it; the date under test is the server's.
 */
export function launchChromium(): Promise<Browser> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== "LD_PRELOAD" && !name.startsWith("FAKETIME")),
  ) as Record<string, string>;
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, env });
}

/** Where a test's screenshots go: test-output/<name>/ at the repository root (git-ignored). */
export function screenshotDir(name: string): string {
  const dir = join(import.meta.dirname, "..", "..", "..", "..", "test-output", name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
