import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Tmpfs {
  dir: string;
  unmount(): void;
}

/** Mounts a tmpfs of `sizeMb` (root only): a small disk of its own, to fill. */
export function mountTmpfs(sizeMb: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), "tidings-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0700`, "tmpfs", dir], { stdio: "pipe" });
  return {
    dir,
    unmount() {
      try {
        execFileSync("umount", [dir], { stdio: "pipe" });
      } catch {
        // Still busy (a process that was killed has not let go yet): detach it now, the kernel frees it later.
        execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Whether a tmpfs can be mounted here: as root, by trying. Under CI=true a test that needs one must run, so not
 * being able to is an error; elsewhere the test skips and says why.
 */
export function tmpfsAvailable(what: string): boolean {
  let why: string | undefined;
  if (process.getuid?.() !== 0) {
    why = "mounting a tmpfs needs root (run the tests as root, or under CI=true where they must)";
  } else {
    try {
      mountTmpfs(1).unmount();
    } catch (err) {
      why = `mount -t tmpfs failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`;
    }
  }
  if (why === undefined) return true;
  if (process.env.CI === "true") throw new Error(`${what} must run under CI: ${why}`);
  console.warn(`skipping ${what}: ${why}`);
  return false;
}
