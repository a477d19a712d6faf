import { execFile } from "node:child_process";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../../..");
const SCRIPT = join(ROOT, "scripts/ensure-postgres.mjs");

// What the wrapped command does: connect to the URL it was handed and report who answered.
const PROBE = `
const pg = require(${JSON.stringify(join(ROOT, "node_modules/pg"))});
const client = new pg.Client(process.env.TIDINGS_TEST_DATABASE_URL);
client.connect()
  .then(() => client.query("SELECT current_database() AS db, current_setting('port') AS port"))
  .then((r) => { console.log(JSON.stringify({ url: process.env.TIDINGS_TEST_DATABASE_URL, ...r.rows[0] })); return client.end(); });
`;

describe("scripts/ensure-postgres.mjs", () => {
  it("starts an embedded PostgreSQL when nothing answers at TIDINGS_TEST_DATABASE_URL, hands the command its URL, and stops it after", async () => {
    // Port 0: nothing ever answers there, and the script picks the port the embedded server listens on.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT, process.execPath, "-e", PROBE], {
      cwd: ROOT,
      env: { ...process.env, TIDINGS_TEST_DATABASE_URL: "postgres://postgres@127.0.0.1:0/tidings_probe" },
    });
    expect(stderr).toContain("started an embedded PostgreSQL");
    const reported = JSON.parse(stdout.trim().split("\n").at(-1)!) as { url: string; db: string; port: string };
    const port = Number(reported.port);
    expect(port).toBeGreaterThan(0);
    expect(reported).toEqual({
      url: `postgres://postgres@127.0.0.1:${port}/tidings_probe`,
      db: "tidings_probe",
      port: String(port),
    });
    // Stopped with the command: nothing listens there any more.
    const afterwards = await new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve("open")));
      socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    });
    expect(afterwards).toBe("ECONNREFUSED");
  });
});
