// `npm run test:later`: the whole suite with the machine's date 400 days ahead (libfaketime), which proves that no
// test depends on today's date. faketime comes from Debian's package (installed under CI=true, like Chromium).
// Chromium's crash handler cannot run under libfaketime, so the browser test starts it through a wrapper that
// drops the preload (scripts/chromium-outside-faketime.sh); the server it drives keeps the moved date.
import { execFileSync, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptInstall } from "./apt.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

function hasFaketime() {
  try {
    execFileSync("faketime", ["-f", "+0d", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// Chromium is installed (or reported missing) by its real path, before the wrapper stands in for it.
execFileSync(process.execPath, [join(ROOT, "scripts/ensure-chromium.mjs")], { stdio: "inherit" });
if (!hasFaketime()) {
  if (process.env.CI !== "true") {
    console.error(
      "test:later: faketime is missing. Install it with `apt-get install faketime` (or run with CI=true, which installs it).",
    );
    process.exit(1);
  }
  aptInstall("faketime");
}
const child = spawn("faketime", ["+400 days", "npm", "test"], {
  cwd: ROOT,
  stdio: "inherit",
  env: {
    ...process.env,
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
    TIDINGS_CHROMIUM: join(ROOT, "scripts/chromium-outside-faketime.sh"),
  },
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
