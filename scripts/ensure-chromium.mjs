// The dashboard's browser test drives Debian's Chromium with playwright-core (no browser download).
// `node scripts/ensure-chromium.mjs` runs before the tests (npm test):
//   - Chromium is there (TIDINGS_CHROMIUM, default /usr/bin/chromium) → nothing to do;
//   - missing and CI=true → install Debian's `chromium` with apt-get (CI must run the test, never skip it);
//     if that fails, exit 1;
//   - missing elsewhere → say so and how to install it; the browser test then skips with the same message.
import { accessSync, constants } from "node:fs";
import { aptInstall } from "./apt.mjs";

const path = process.env.TIDINGS_CHROMIUM ?? "/usr/bin/chromium";

function installed() {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

if (!installed()) {
  if (process.env.CI === "true") {
    console.error(`ensure-chromium: ${path} is missing; installing Debian's chromium for the dashboard browser test`);
    try {
      aptInstall("chromium");
    } catch (err) {
      console.error(
        `ensure-chromium: could not install chromium with apt-get: ${err instanceof Error ? err.message : String(err)}`,
      );
      process.exit(1);
    }
    if (!installed()) {
      console.error(`ensure-chromium: apt-get finished but ${path} is still missing`);
      process.exit(1);
    }
  } else {
    console.error(
      `ensure-chromium: ${path} is missing, so the dashboard browser test will skip. Install it with \`apt-get install chromium\` (or run with CI=true, which installs it), or point TIDINGS_CHROMIUM at a Chromium.`,
    );
  }
}
