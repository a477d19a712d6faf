import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

/** The master key from TIDINGS_MASTER_KEY, or from `master.key` in the data dir, made (mode 0600) when absent. */
export function loadMasterKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured !== undefined) return decode(configured, "TIDINGS_MASTER_KEY");
  const path = join(dataDir, "master.key");
  if (existsSync(path)) {
    // An earlier release wrote it with the umask's bits; whoever can read it can open every sealed secret.
    chmodSync(path, 0o600);
    return decode(readFileSync(path, "utf8").trim(), path);
  }
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}

function decode(text: string, source: string): Buffer {
  const key = Buffer.from(text, "base64");
  if (key.length !== 32)
    throw new Error(`${source}: the master key must be base64 of exactly 32 bytes (try: openssl rand -base64 32)`);
  return key;
}
