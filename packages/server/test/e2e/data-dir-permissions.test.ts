import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GoogleGenAI } from "@google/genai";
import { afterEach, describe, expect, it } from "vitest";
import { completeOperation, startTidings, type TestServer } from "../helpers/tidings.js";

/** Permission bits of every entry under `dir`, by path relative to it. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { ".": (statSync(dir).mode & 0o777).toString(8) };
  for (const entry of readdirSync(dir, { recursive: true }) as string[])
    out[entry] = (statSync(join(dir, entry)).mode & 0o777).toString(8);
  return out;
}

describe("the data directory is this user's alone (API-key hashes, sealed secrets, payloads)", () => {
  const parents: string[] = [];
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    for (const dir of parents.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("a fresh one is 0700, and the database, its WAL and SHM, the master key and uploaded files are 0600", async () => {
    const parent = mkdtempSync(join(tmpdir(), "tidings-perm-"));
    parents.push(parent);
    const dataDir = join(parent, "data");
    server = await startTidings({ dataDir });
    await completeOperation(server);
    const input = join(parent, "in.jsonl");
    writeFileSync(input, '{"key":"a","request":{"contents":[{"parts":[{"text":"hi"}]}]}}\n');
    const ai = new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });
    await ai.files.upload({ file: input, config: { mimeType: "application/jsonl" } });
    const found = modes(dataDir);
    expect(found["."]).toBe("700");
    expect(Object.keys(found)).toEqual(
      expect.arrayContaining(["tidings.db", "tidings.db-wal", "tidings.db-shm", "master.key"]),
    );
    expect(Object.keys(found).filter((path) => statSync(join(dataDir, path)).isFile()).length).toBeGreaterThan(4);
    for (const [path, mode] of Object.entries(found)) {
      if (path !== "." && statSync(join(dataDir, path)).isFile()) expect(`${path} ${mode}`).toBe(`${path} 600`);
    }
  });

  it("one left open by an earlier release is closed at start", async () => {
    const parent = mkdtempSync(join(tmpdir(), "tidings-perm-"));
    parents.push(parent);
    const dataDir = join(parent, "data");
    server = await startTidings({ dataDir });
    await server.stop();
    server = undefined;
    chmodSync(dataDir, 0o755);
    for (const file of ["tidings.db", "tidings.db-wal", "tidings.db-shm", "master.key"]) {
      try {
        chmodSync(join(dataDir, file), 0o644);
      } catch {
        // A clean stop may have checkpointed the WAL away.
      }
    }
    server = await startTidings({ dataDir });
    const found = modes(dataDir);
    expect(found["."]).toBe("700");
    for (const [path, mode] of Object.entries(found)) {
      if (path !== "." && statSync(join(dataDir, path)).isFile()) expect(`${path} ${mode}`).toBe(`${path} 600`);
    }
  });

  it("keeps its promise when the parent directory already exists with loose bits", () => {
    const parent = mkdtempSync(join(tmpdir(), "tidings-perm-"));
    parents.push(parent);
    mkdirSync(join(parent, "data"), { mode: 0o777 });
    chmodSync(join(parent, "data"), 0o777);
    return startTidings({ dataDir: join(parent, "data") }).then((started) => {
      server = started;
      expect(modes(join(parent, "data"))["."]).toBe("700");
    });
  });
});
