// Starts the BullMQ comparison peer for one run: a redis-server of its own (AOF on, fsync every second, in a
// temp dir, on a free port; never the machine's Redis, which keeps nothing on disk) and bench/peers/bullmq/app.mjs.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { IpcChild, sleep } from "../../lib.mjs";
import { forkChild, freePort, spawnChild, tempDir } from "../../harness.mjs";

async function startRedis() {
  const dir = tempDir("tidings-bench-redis-");
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--save",
    "",
    "--daemonize",
    "no",
  ];
  const proc = spawnChild("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    const onData = (chunk) => {
      output = (output + chunk.toString("utf8")).slice(-4096);
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.once("error", (err) => reject(new Error(`redis-server: ${err.message} (is it installed?)`)));
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited early (code ${code}):\n${output}`));
    });
  });
  await ready;
  return { proc, port, dir };
}

/**
 * Redis, then the peer app sending to `receiverUrl` with `secret` at `concurrency`. Resolves with the app's URL,
 * `pids` (app and Redis: the harness counts both as the server's CPU) and stop().
 */
export async function startBullmqPeer(receiverUrl, secret, concurrency) {
  const redis = await startRedis();
  const proc = forkChild(join("peers", "bullmq", "app.mjs"), [
    receiverUrl,
    secret,
    String(concurrency),
    String(redis.port),
  ]);
  const listening = await Promise.race([
    new IpcChild(proc).waitEvent("listening", 15_000),
    new Promise((_, reject) =>
      proc.once("exit", (code) => reject(new Error(`bullmq peer exited early (code ${code})`))),
    ),
  ]);
  if (listening === undefined) throw new Error("bullmq peer did not start within 15 s");
  return {
    proc,
    pids: [proc.pid, redis.proc.pid],
    url: `http://127.0.0.1:${listening.port}`,
    redis: { port: redis.port, appendOnlyDir: existsSync(join(redis.dir, "appendonlydir")) },
    async stop() {
      proc.kill("SIGTERM");
      redis.proc.kill("SIGTERM");
      await sleep(100);
    },
  };
}
