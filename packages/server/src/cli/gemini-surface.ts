import { TidingsApiError, TidingsConnectionError } from "@tidings/sdk";
import type {
  BatchGenerateContentRequest,
  BatchOperation,
  CreateInteractionRequest,
  FileResource,
  Interaction,
  ListBatchesResponse,
  ListFilesResponse,
  PredictLongRunningRequest,
  UploadResponse,
  VideoOperation,
} from "@tidings/sdk/contract";

/**
 * What the CLI needs beyond Tidings' own resources (which it reaches through @tidings/sdk's client): the
 * Gemini-compatible batches, interactions and video generations, the resumable upload and the media download
 * that `@google/genai` speaks, and the event stream. Typed by the same contract; failures are the SDK's error types.
 */
export class GeminiSurface {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  createBatch(model: string, request: BatchGenerateContentRequest): Promise<BatchOperation> {
    return this.json("POST", `/v1/models/${model.replace(/^models\//, "")}:batchGenerateContent`, request);
  }

  getBatch(name: string): Promise<BatchOperation> {
    return this.json("GET", `/v1/${batchName(name)}`);
  }

  listBatches(pageSize: number): Promise<ListBatchesResponse> {
    return this.json("GET", `/v1/batches?pageSize=${pageSize}`);
  }

  async cancelBatch(name: string): Promise<void> {
    await this.json("POST", `/v1/${batchName(name)}:cancel`, {});
  }

  createInteraction(request: CreateInteractionRequest): Promise<Interaction> {
    return this.json("POST", "/v1/interactions", request);
  }

  getInteraction(id: string): Promise<Interaction> {
    return this.json("GET", `/v1/interactions/${encodeURIComponent(id)}`);
  }

  generateVideo(model: string, request: PredictLongRunningRequest): Promise<VideoOperation> {
    return this.json("POST", `/v1/models/${model.replace(/^models\//, "")}:predictLongRunning`, request);
  }

  /** A video operation by its name, `models/{model}/operations/{id}`. */
  getVideoOperation(name: string): Promise<VideoOperation> {
    return this.json("GET", `/v1/${name}`);
  }

  /** Opens a long-lived GET, such as the Server-Sent Events stream. */
  stream(path: string): Promise<Response> {
    return this.send(path, { headers: { accept: "text/event-stream" } });
  }

  /** Uploads bytes with the resumable protocol @google/genai uses; returns the file's name (`files/…`). */
  async upload(data: Buffer, mimeType: string, displayName: string): Promise<string> {
    const start = await this.send("/upload/v1beta/files", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": String(data.length),
        "x-goog-upload-header-content-type": mimeType,
      },
      body: JSON.stringify({ file: { displayName, mimeType } }),
    });
    const uploadUrl = start.headers.get("x-goog-upload-url");
    if (uploadUrl === null) throw new Error(`upload start: no x-goog-upload-url in the reply (HTTP ${start.status})`);
    const done = await this.send(new URL(uploadUrl), {
      method: "POST",
      headers: { "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0", "content-type": mimeType },
      body: data,
    });
    const { file } = (await done.json()) as UploadResponse;
    if (file === undefined) throw new Error("upload: the server did not finalize the file");
    return file.name;
  }

  listFiles(pageSize: number, pageToken?: string): Promise<ListFilesResponse> {
    return this.json(
      "GET",
      `/v1/files?pageSize=${pageSize}${pageToken !== undefined ? `&pageToken=${encodeURIComponent(pageToken)}` : ""}`,
    );
  }

  /** A file's metadata by its name, `files/{id}` (or the id). */
  getFile(name: string): Promise<FileResource> {
    return this.json("GET", `/v1/files/${encodeURIComponent(name.replace(/^files\//, ""))}`);
  }

  async download(fileName: string): Promise<string> {
    return (await this.downloadBytes(fileName)).toString("utf8");
  }

  async downloadBytes(fileName: string): Promise<Buffer> {
    const id = fileName.replace(/^files\//, "");
    return Buffer.from(await (await this.send(`/download/v1beta/files/${id}:download?alt=media`)).arrayBuffer());
  }

  private async json<T>(method: string, path: string, body?: object): Promise<T> {
    const res = await this.send(path, {
      method,
      ...(body !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as T;
  }

  /**
   * A request with the API key; a non-2xx reply throws TidingsApiError, an unreachable server TidingsConnectionError.
   */
  private async send(path: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = typeof path === "string" ? `${this.baseUrl}${path}` : path.toString();
    let res: Response;
    try {
      res = await fetch(url, {
        ...init,
        headers: { "x-goog-api-key": this.apiKey, ...(init.headers as Record<string, string> | undefined) },
      });
    } catch (cause) {
      throw new TidingsConnectionError(url, cause);
    }
    if (res.ok) return res;
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not a google.rpc.Status: the text itself is the best description.
    }
    throw new TidingsApiError(res.status, body);
  }
}

function batchName(name: string): string {
  return name.startsWith("batches/") ? name : `batches/${name}`;
}
