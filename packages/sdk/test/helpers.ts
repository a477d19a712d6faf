import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

/** `packages/sdk/test/fixtures`: the official Standard Webhooks vectors, also used by the server's tests. */
export function readFixture<T>(name: string): T {
  const url = new URL(`./fixtures/${name}`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), "utf8")) as T;
}

export interface VectorsFile {
  tolerance_seconds: number;
  sign: Array<{ secret: string; msg_id: string; timestamp: number; payload: string; signature: string }>;
  reject_signature_headers_for_first_sign_vector: string[];
  accept_when_a_valid_entry_is_among_others: string[];
  reject_timestamps: string[];
  reject_secrets_at_construction: string[];
}

/** A delivery of signing-vectors.json and what a verifier must answer: `ok` or an error code. */
export interface SigningCase {
  name: string;
  msg_id: string;
  timestamp: number;
  payload: string;
  signature: string;
  expect: string;
  public_keys?: string[];
}

/** signing-vectors.json, written by make-signing-vectors.mjs beside it; the Python package checks the same cases. */
export interface SigningVectors {
  verify_at: number;
  tolerance_seconds: number;
  static_v1a: {
    keys: Record<"current" | "previous", { secret_key: string; public_key: string }>;
    cases: SigningCase[];
  };
  dynamic: { issuer: string; audience: string; jwks: { keys: Record<string, unknown>[] }; cases: SigningCase[] };
}

export function randomSecret(bytes = 32): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64")}`;
}

export function sampleEvent(id = "batches/x1y2z3"): string {
  return JSON.stringify({
    type: "batch.succeeded",
    version: "v1",
    timestamp: "2026-05-04T12:00:00.000Z",
    data: { id, output_file_uri: "files/ab12cd34" },
  });
}

export interface TestServer {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function listen(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface PostResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** Request start to complete response, measured with performance.now(). */
  ms: number;
}

/** A plain node:http POST (not fetch, whose lazy first-use set-up would pollute timings). */
export function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  agent?: http.Agent,
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
            ms: performance.now() - start,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
