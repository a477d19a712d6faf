import { TidingsApiError, TidingsClient, TidingsConnectionError } from "@tidings/sdk";
import type { Command } from "commander";
import { GeminiSurface } from "./gemini-surface.js";

/** Where the client commands look for a server unless TIDINGS_URL or --server says otherwise. */
export const DEFAULT_SERVER = "http://127.0.0.1:8080";

/** What the client commands talk to: Tidings' own resources through @tidings/sdk, the Gemini surfaces beside it. */
export interface CliClient {
  server: string;
  tidings: TidingsClient;
  gemini: GeminiSurface;
}

/** Options every client command takes. */
export interface ClientFlags {
  server: string;
  apiKey?: string;
}

/** Adds the options every client command takes. */
export function withClientOptions(command: Command): Command {
  return command
    .option("--server <url>", "the Tidings server (TIDINGS_URL)", process.env.TIDINGS_URL || DEFAULT_SERVER)
    .option("--api-key <key>", "API key of the project (TIDINGS_API_KEY)");
}

export function connect(server: string, apiKey: string): CliClient {
  const base = server.replace(/\/+$/, "");
  return {
    server: base,
    tidings: new TidingsClient({ baseUrl: base, apiKey }),
    gemini: new GeminiSurface(base, apiKey),
  };
}

export function clientFrom(flags: ClientFlags): CliClient {
  const apiKey = flags.apiKey || process.env.TIDINGS_API_KEY || undefined;
  if (apiKey === undefined) throw new Error("--api-key (or TIDINGS_API_KEY) is required");
  return connect(flags.server, apiKey);
}

/** One line for the terminal: what failed and what to do about it. */
export function describeError(err: unknown): string {
  if (err instanceof TidingsConnectionError) {
    const server = new URL(err.url).origin;
    return `${err.message}. Is a Tidings server running at ${server}? Start one with "tidings serve", or point to yours with --server URL or TIDINGS_URL.`;
  }
  if (err instanceof TidingsApiError)
    return `HTTP ${err.httpStatus}${err.status ? ` ${err.status}` : ""}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
