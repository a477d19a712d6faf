import { connect, type Socket } from "node:net";
import parsePrometheus from "parse-prometheus-text-format";
import { expect } from "vitest";
import { ADMIN_KEY, type TestServer } from "./tidings.js";

/** A refusal for a limit: the status, RESOURCE_EXHAUSTED, and the setting named in the message and the details. */
export function expectLimit(res: { status: number; body: any }, status: 400 | 429, setting: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toMatchObject({ code: status, status: "RESOURCE_EXHAUSTED" });
  expect(res.body.error.message).toContain(setting);
  expect(res.body.error.details).toEqual(
    expect.arrayContaining([
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [{ subject: setting, description: res.body.error.message }],
      },
      expect.objectContaining({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        domain: "tidings",
        metadata: { limit: setting },
      }),
    ]),
  );
}

/** tidings_limit_rejections_total{limit} from a /metrics text. */
export async function limitRejections(
  metricsUrl: string,
  limit: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`, { headers })).text();
  const family = parsePrometheus(text).find((f) => f.name === "tidings_limit_rejections_total");
  return Number(family?.metrics.find((m) => m.labels?.limit === limit)?.value ?? Number.NaN);
}

/** Another project with a key of its own, made through the admin API. */
export async function otherProject(server: TestServer): Promise<{ id: string; key: string }> {
  const project = await server.api<{ id: string }>("POST", "/v1/projects", { display_name: "other" }, ADMIN_KEY);
  const key = await server.api<{ key: string }>("POST", `/v1/projects/${project.body.id}/apiKeys`, {}, ADMIN_KEY);
  return { id: project.body.id, key: key.body.key };
}

/** A raw TCP connection to the server that has sent `text` and nothing more. */
export function openSocket(url: string, text = ""): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      if (text !== "") socket.write(text);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Everything the socket receives until the server closes it. */
export function readToEnd(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", () => {});
    socket.once("close", () => resolve(text));
    socket.resume();
  });
}

/** What the socket receives until a blank line ends a response's head. */
export function readHead(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        socket.off("data", onData);
        resolve(text.slice(0, end));
      }
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error(`closed before a response head; got ${JSON.stringify(text)}`)));
  });
}
