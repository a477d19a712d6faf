import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitRejections, openSocket, readHead, readToEnd } from "../helpers/limits.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { startTidings, type TestServer } from "../helpers/tidings.js";

describe("GET /v1/events:stream with a reader that stops reading", () => {
  let server: TestServer;
  let receiver: Receiver;
  beforeAll(async () => {
    server = await startTidings();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  /** An operation ended with an event carrying ~900 KB of user_metadata, as in the security review. */
  const bigEvent = async () => {
    const created = await server.api<{ name: string }>("POST", "/v1/operations", {
      type: "export",
      webhook_config: { uris: [`${receiver.url}/hook`], user_metadata: { blob: "x".repeat(900_000) } },
    });
    expect(created.status).toBe(200);
    expect((await server.api("POST", `/v1/${created.body.name}:complete`, {})).status).toBe(200);
  };

  it("is dropped with a last comment once it falls about 1 MiB behind, while the server goes on answering", async () => {
    const socket = await openSocket(
      server.url,
      `GET /v1/events:stream HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nx-goog-api-key: ${server.key}\r\n\r\n`,
    );
    expect(await readHead(socket)).toMatch(/^HTTP\/1\.1 200 /);
    socket.pause();

    // The kernel's socket buffers take the first few megabytes; the server's own buffer the next one, and no more.
    let published = 0;
    while ((await limitRejections(server.url, "stream_buffer")) === 0) {
      expect(published, "the stream was never dropped").toBeLessThan(60);
      await bigEvent();
      published += 1;
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    }

    const text = await readToEnd(socket);
    const received = text.split("id: msg_").length - 1;
    expect(received).toBeLessThan(published);
    expect(text).toContain(
      ": dropped: this reader fell more than 1048576 bytes behind the events; reconnect, and read what was missed with GET /v1/events",
    );
    expect((await server.api("GET", "/v1/webhooks")).status).toBe(200);
  });
});
