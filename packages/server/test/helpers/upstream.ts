import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface UpstreamRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** What the fake model server answers to its n-th request (0-based); "hang" never answers. */
export type UpstreamReply =
  | { status?: number; headers?: Record<string, string>; json?: unknown; raw?: string; bytes?: Uint8Array }
  | "hang";

export interface Upstream {
  /** http://127.0.0.1:PORT */
  origin: string;
  requests: UpstreamRequest[];
  /** Unanswered ("hang") requests whose client has since closed the connection: a cancel reached the socket. */
  readonly dropped: number;
  close(): Promise<void>;
}

/** A model server on 127.0.0.1 whose every answer the test scripts, recording what it was sent. */
export async function startUpstream(reply: (n: number, req: UpstreamRequest) => UpstreamReply): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let dropped = 0;
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      const entry: UpstreamRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: text === "" ? undefined : JSON.parse(text),
      };
      const answer = reply(requests.length, entry);
      requests.push(entry);
      if (answer === "hang") {
        hanging.add(res);
        res.on("close", () => {
          if (hanging.delete(res)) dropped++;
        });
        return;
      }
      const body = answer.bytes ?? answer.raw ?? JSON.stringify(answer.json ?? {});
      const type =
        answer.bytes !== undefined
          ? "application/octet-stream"
          : answer.raw !== undefined
            ? "text/plain"
            : "application/json";
      res.writeHead(answer.status ?? 200, { "content-type": type, ...answer.headers }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get dropped() {
      return dropped;
    },
    async close() {
      for (const res of [...hanging]) {
        hanging.delete(res);
        res.destroy();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A chat-completions reply with one text choice. */
export function chatReply(content: string, extra: Record<string, unknown> = {}): unknown {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    model: "served-model",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    ...extra,
  };
}
