// Installs Debian packages with apt-get (as root, else through sudo), for the tools a test run needs:
// Chromium for the dashboard's browser test, faketime for the run 400 days ahead, Python's packages for
// the tidings_webhooks tests.
import { execFileSync } from "node:child_process";

/** apt-get update, then install `packages`; throws if either fails. */
export function aptInstall(...packages) {
  const [command, ...prefix] = process.getuid?.() === 0 ? ["apt-get"] : ["sudo", "apt-get"];
  const apt = (...args) =>
    execFileSync(command, [...prefix, ...args], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  apt("update");
  apt("install", "-y", "--no-install-recommends", ...packages);
}
