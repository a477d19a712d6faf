import { defineConfig } from "vitest/config";

/**
 * The tests in tiers (CONTRIBUTING.md): `npm test` runs them all; `npm run test:<tier>` runs one.
 * - unit: pure functions, the engine on fake time, providers against local stand-ins, the SDK (seconds);
 * - store: the conformance suite against SQLite and PostgreSQL;
 * - e2e: a real server in this process, real receivers on 127.0.0.1 (each delivery checked against the event
 *   catalogue's schemas), the official clients, the browser;
 * - process: servers as child processes: SIGKILL, restarts, several processes on one database, the CLI, the
 *   SDK's packaging (npm pack, tsc).
 */
const tier = (name: string, include: string[], setupFiles: string[] = [], exclude: string[] = [], isolate = true) => ({
  extends: true as const,
  test: { name, include, setupFiles, exclude, isolate },
});

/** The SDK's packaging tests run `npm pack` and `tsc` as child processes: seconds each, so not in the unit tier. */
const SDK_PACKAGING = ["packages/sdk/test/pack.test.ts", "packages/sdk/test/typecheck.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      // Unit files share their worker's module cache (isolate: false): they change no global state (the one fake
      // clock is restored after each test), and starting a fresh module graph per file took half the tier's time.
      tier(
        "unit",
        ["packages/server/test/unit/**/*.test.ts", "packages/sdk/test/**/*.test.ts"],
        [],
        SDK_PACKAGING,
        false,
      ),
      tier("store", ["packages/server/test/store/**/*.test.ts"]),
      // Every delivery an e2e test receives is validated against its schema in the event catalogue.
      tier("e2e", ["packages/server/test/e2e/**/*.test.ts"], ["packages/server/test/helpers/catalogue-setup.ts"]),
      tier("process", ["packages/server/test/process/**/*.test.ts", ...SDK_PACKAGING]),
    ],
  },
});
