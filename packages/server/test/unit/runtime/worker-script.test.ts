import { describe, expect, it } from "vitest";
import { workerScriptUrl } from "../../../src/runtime/worker-script.js";

describe("workerScriptUrl", () => {
  it("finds the script beside a compiled module", () => {
    const url = workerScriptUrl("./worker.js", "file:///app/packages/server/dist/signing/jwt/pool.js");
    expect(url.href).toBe("file:///app/packages/server/dist/signing/jwt/worker.js");
  });

  it("finds the build of the script when the module runs from its TypeScript source", () => {
    const url = workerScriptUrl(
      "./checkpoint-worker.js",
      "file:///app/packages/server/src/store/sqlite/checkpointer.ts",
    );
    expect(url.href).toBe("file:///app/packages/server/dist/store/sqlite/checkpoint-worker.js");
  });

  it("swaps only the last src folder, so a checkout under a folder named src still works", () => {
    const url = workerScriptUrl(
      "./worker.js",
      "file:///home/src/tidings/packages/server/src/delivery/sender-thread/threaded-sender.ts",
    );
    expect(url.href).toBe("file:///home/src/tidings/packages/server/dist/delivery/sender-thread/worker.js");
  });
});
