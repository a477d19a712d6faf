import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitRejections } from "../helpers/limits.js";
import { startTidings, type TestServer } from "../helpers/tidings.js";

describe("TIDINGS_METRICS_TOKEN", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTidings({ env: { TIDINGS_METRICS_TOKEN: "scrape-token-0123456789" } });
  });
  afterAll(() => server.close());

  it("closes /metrics to whoever does not send the token, as a google.rpc.Status", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong" },
      { authorization: "scrape-token-0123456789" },
      { "x-goog-api-key": server.key },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("TIDINGS_METRICS_TOKEN");
    }
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer scrape-token-0123456789" } });
    expect(res.status).toBe(200);
    // Every limit is on it from the start, at 0.
    for (const limit of [
      "streams_per_project",
      "streams",
      "stream_buffer",
      "webhooks_per_project",
      "uploads_per_project",
      "project_file_bytes",
      "rate_per_project",
      "large_bodies",
      "connections",
      "request_timeout",
    ]) {
      expect(await limitRejections(server.url, limit, { authorization: "Bearer scrape-token-0123456789" }), limit).toBe(
        0,
      );
    }
    // Health stays open.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
