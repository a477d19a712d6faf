import type { Command } from "commander";

/** The small HTTP client the CLI commands share: JSON calls with the API key, and errors as readable text. */
export class CliApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { "x-goog-api-key": this.apiKey, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      const message = (() => {
        try {
          return (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
        } catch {
          return text;
        }
      })();
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${message}`);
    }
    return (text === "" ? {} : JSON.parse(text)) as T;
  }

  /** Opens a long-lived GET, such as the Server-Sent Events stream. */
  stream(path: string): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { headers: { "x-goog-api-key": this.apiKey, accept: "text/event-stream" } });
  }

  /** Uploads bytes with the resumable protocol @google/genai uses; returns the file's name (`files/…`). */
  async upload(data: Buffer, mimeType: string, displayName: string): Promise<string> {
    const start = await fetch(`${this.baseUrl}/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": this.apiKey,
        "content-type": "application/json",
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": String(data.length),
        "x-goog-upload-header-content-type": mimeType,
      },
      body: JSON.stringify({ file: { displayName, mimeType } }),
    });
    const uploadUrl = start.headers.get("x-goog-upload-url");
    if (!start.ok || uploadUrl === null) throw new Error(`upload start: HTTP ${start.status}: ${await start.text()}`);
    const done = await fetch(uploadUrl, {
      method: "POST",
      headers: { "x-goog-api-key": this.apiKey, "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0", "content-type": mimeType },
      body: data,
    });
    if (!done.ok) throw new Error(`upload: HTTP ${done.status}: ${await done.text()}`);
    return ((await done.json()) as { file: { name: string } }).file.name;
  }

  async download(fileName: string): Promise<string> {
    const id = fileName.replace(/^files\//, "");
    const res = await fetch(`${this.baseUrl}/download/v1beta/files/${id}:download?alt=media`, { headers: { "x-goog-api-key": this.apiKey } });
    if (!res.ok) throw new Error(`download ${fileName}: HTTP ${res.status}: ${await res.text()}`);
    return res.text();
  }
}

/** Adds the options every client command takes. */
export function withClientOptions(command: Command): Command {
  return command
    .option("--server <url>", "the Tidings server (TIDINGS_URL)", process.env.TIDINGS_URL ?? "http://127.0.0.1:8080")
    .option("--api-key <key>", "API key of the project (TIDINGS_API_KEY)");
}

/** Options every client command takes. */
export interface ClientFlags {
  server: string;
  apiKey?: string;
}

export function clientFrom(flags: ClientFlags): CliApiClient {
  const apiKey = flags.apiKey || process.env.TIDINGS_API_KEY || undefined;
  if (apiKey === undefined) throw new Error("--api-key (or TIDINGS_API_KEY) is required");
  return new CliApiClient(flags.server.replace(/\/$/, ""), apiKey);
}
