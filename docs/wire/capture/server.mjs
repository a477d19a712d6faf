// A capture server for wire experiments: logs every request the client sends (method, path, query, the
// headers that matter, body) and answers with the replies a script queues, in order.
import { createServer } from "node:http";

const SHOWN_HEADERS = ["content-type", "content-length", "transfer-encoding", "accept", "x-goog-api-key", "authorization", "x-goog-api-client", "user-agent"];

/**
 * reply(req) → { status?, headers?, json? } | { status?, headers?, sse: [{event?, data}] | string[] , end?: boolean }
 * `sse` entries are written as `event: …\ndata: …\n\n`; data objects are JSON-encoded, strings sent as is.
 */
export async function startCapture(reply, { quiet = false } = {}) {
  const log = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", async () => {
      const url = new URL(req.url, "http://x");
      const headers = Object.fromEntries(SHOWN_HEADERS.filter((h) => req.headers[h] !== undefined).map((h) => [h, req.headers[h]]));
      let body;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const entry = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body };
      log.push(entry);
      if (!quiet) console.log(`>>> ${entry.method} ${entry.path}${url.search}\n    headers ${JSON.stringify(headers)}${body === undefined ? "" : `\n    body ${JSON.stringify(body)}`}`);
      const answer = (await reply(entry, log.length - 1)) ?? { status: 404, json: { error: { code: 404, message: "no scripted reply", status: "NOT_FOUND" } } };
      if (answer.sse !== undefined) {
        res.writeHead(answer.status ?? 200, { "content-type": "text/event-stream", ...answer.headers });
        for (const ev of answer.sse) {
          if (typeof ev === "string") res.write(ev);
          else res.write(`${ev.event ? `event: ${ev.event}\n` : ""}data: ${typeof ev.data === "string" ? ev.data : JSON.stringify(ev.data)}\n\n`);
          await new Promise((r) => setTimeout(r, 5));
        }
        res.end();
        return;
      }
      const raw = answer.raw ?? (answer.json === undefined ? "" : JSON.stringify(answer.json));
      res.writeHead(answer.status ?? 200, { "content-type": answer.contentType ?? "application/json", ...answer.headers });
      res.end(raw);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}

/** Runs fn, printing what it returned or threw (name, message, status and own fields) instead of crashing. */
export async function show(label, fn) {
  try {
    const value = await fn();
    console.log(`<<< ${label}: returned ${JSON.stringify(value, (k, v) => (k === "sdkHttpResponse" ? "[sdkHttpResponse]" : v))}`);
    return value;
  } catch (err) {
    const fields = Object.fromEntries(Object.entries(err).filter(([k]) => !["response", "request", "httpMeta", "rawResponse", "body$"].includes(k)));
    console.log(`<<< ${label}: threw ${err?.constructor?.name} ${JSON.stringify(err?.message)} ${JSON.stringify(fields)}`);
    return undefined;
  }
}
