import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { untilAborted } from "../../src/services/until-aborted.js";

describe("untilAborted", () => {
  it("hands on every item, and ends the wait for a read that never comes the moment the signal aborts", async () => {
    const abort = new AbortController();
    let release: () => void = () => {};
    async function* source() {
      yield 1;
      yield 2;
      // A read that does not end until the test says so (a pipe nobody writes to).
      await new Promise<void>((resolve) => (release = resolve));
      yield 3;
    }
    const got: number[] = [];
    const consumed = (async () => {
      for await (const item of untilAborted(source(), abort.signal, () => new Error("hung up"))) got.push(item);
    })();
    while (got.length < 2) await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    await expect(consumed).rejects.toThrow("hung up");
    expect(got).toEqual([1, 2]);
    release();
  });

  it("keeps no item it has handed on: a file's chunks are garbage once appended", async () => {
    // A child with --expose-gc, so that what is checked is what is reachable, not what awaits collection.
    const module = pathToFileURL(
      join(dirname(fileURLToPath(import.meta.url)), "../../dist/services/until-aborted.js"),
    ).href;
    const script = `
      const { untilAborted } = await import(${JSON.stringify(module)});
      const refs = [];
      async function* source() {
        for (let i = 0; i < 20; i++) {
          await new Promise((resolve) => setImmediate(resolve));
          const chunk = Array.from({ length: 1000 }, (_, j) => ({ line: j }));
          refs.push(new WeakRef(chunk));
          yield chunk;
        }
      }
      let alive;
      for await (const chunk of untilAborted(source(), new AbortController().signal, () => new Error("x"))) {
        if (refs.length < 20) continue;
        // Halfway through the last item, while the iteration is still going: the ones before it are garbage.
        await new Promise((resolve) => setImmediate(resolve));
        globalThis.gc();
        alive = refs.slice(0, -2).filter((ref) => ref.deref() !== undefined).length;
        void chunk;
      }
      console.log(JSON.stringify(alive));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, [
      "--expose-gc",
      "--input-type=module",
      "-e",
      script,
    ]);
    expect(JSON.parse(stdout)).toBe(0);
  });
});
