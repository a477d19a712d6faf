import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");

export interface SpawnedServer {
  child: ChildProcess;
  /** Where it listens: on a port the system chose (TIDINGS_PORT=0) unless `env` names one. */
  url: string;
  output: () => string;
}

const LISTENING = /Tidings is listening on (\S+)/;

/** Runs the built `tidings serve` as a real child process and resolves once it listens. */
export async function spawnServer(env: Record<string, string>): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [CLI, "serve"], {
    env: { ...process.env, TIDINGS_LOG_LEVEL: "warn", TIDINGS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    child.stdout!.on("data", () => {
      const listening = LISTENING.exec(output);
      if (listening !== null) {
        clearTimeout(timer);
        resolve(listening[1] as string);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
