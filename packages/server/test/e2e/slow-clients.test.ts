import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitRejections, openSocket, readToEnd } from "../helpers/limits.js";
import { startTidings, type TestServer } from "../helpers/tidings.js";

/**
 * Slowloris: clients that open connections and send their requests a byte at a time, or not at all. Real sockets;
 * the deadlines are short here so the test does not wait for the defaults (10 s, 120 s).
 */
describe("clients that trickle their requests", () => {
  let server: TestServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = await startTidings({
      env: {
        TIDINGS_HEADERS_TIMEOUT_MS: "500",
        TIDINGS_REQUEST_TIMEOUT_MS: "1000",
        TIDINGS_MAX_CONNECTIONS: "10",
        // /metrics apart, where the connections the test fills up do not reach it.
        TIDINGS_METRICS_ADDR: "127.0.0.1:0",
      },
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server.close();
  });
  const host = () => new URL(server.url).host;
  const open = async (text: string) => {
    const socket = await openSocket(server.url, text);
    sockets.push(socket);
    return { socket, answer: readToEnd(socket) };
  };

  it("closes connections past TIDINGS_MAX_CONNECTIONS at once, times out partial headers with a 408, and then answers", async () => {
    const partial = await Promise.all(
      Array.from({ length: 10 }, () => open(`GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nX-Slow: `)),
    );
    // The eleventh is closed without a word: the process keeps its file descriptors.
    const refused = await open("");
    await expect(refused.answer).resolves.toBe("");
    await expect.poll(() => limitRejections(server.metricsUrl!, "connections")).toBeGreaterThanOrEqual(1);

    for (const { answer } of partial) {
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(text).toContain('"status":"DEADLINE_EXCEEDED"');
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await limitRejections(server.metricsUrl!, "request_timeout")).toBe(10);
  });

  it("times out a body that never finishes arriving, with a 408", async () => {
    const { answer } = await open(
      `POST /v1/operations HTTP/1.1\r\nHost: ${host()}\r\nx-goog-api-key: ${server.key}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"type":`,
    );
    expect(await answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect((await server.api("POST", "/v1/operations", { type: "export" })).status).toBe(200);
  });

  it("serves /metrics on TIDINGS_METRICS_ADDR, not beside the API", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    const res = await fetch(`${server.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("tidings_limit_rejections_total");
    expect((await fetch(`${server.metricsUrl}/healthz`)).status).toBe(404);
  });
});
