import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, startTidings, type TestServer } from "../helpers/tidings.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTidings();
});
afterAll(() => server.close());

/** Every rejection is a google.rpc.Status; field violations name the field. */
function expectStatus(res: { status: number; body: any }, code: number, status: string, field?: string) {
  expect(res.status).toBe(code);
  expect(res.body.error).toMatchObject({ code, status });
  expect(typeof res.body.error.message).toBe("string");
  if (field !== undefined) expect(res.body.error.details[0].fieldViolations[0].field).toBe(field);
}

describe("bad input gets a 4xx google.rpc.Status naming the field", () => {
  it("malformed JSON", async () => {
    expectStatus(
      await server.api("POST", "/v1/webhooks", '{"uri": "https://x.example",'),
      400,
      "INVALID_ARGUMENT",
      "body",
    );
  });

  it("an unknown event type, naming the entry", async () => {
    const res = await server.api("POST", "/v1/webhooks", {
      uri: "https://x.example/h",
      subscribed_events: ["batch.succeeded", "batch.done"],
    });
    expectStatus(res, 400, "INVALID_ARGUMENT", "subscribed_events[1]");
    expect(res.body.error.message).toContain('"batch.done"');
  });

  it("a value outside an enum, listing the allowed values", async () => {
    const res = await server.api("GET", "/v1/webhooks/any/deliveries?state=done");
    expectStatus(res, 400, "INVALID_ARGUMENT", "state");
    expect(res.body.error.message).toMatch(/must be one of pending, succeeded, failed/);
  });

  it("a missing uri and a non-URL uri", async () => {
    expectStatus(
      await server.api("POST", "/v1/webhooks", { subscribed_events: ["*"] }),
      400,
      "INVALID_ARGUMENT",
      "uri",
    );
    expectStatus(
      await server.api("POST", "/v1/webhooks", { uri: "not a url", subscribed_events: ["*"] }),
      400,
      "INVALID_ARGUMENT",
      "uri",
    );
    expectStatus(
      await server.api("POST", "/v1/webhooks", { uri: "ftp://x.example/h", subscribed_events: ["*"] }),
      400,
      "INVALID_ARGUMENT",
      "uri",
    );
  });

  it("private-address and plain-http uris outside dev mode", async () => {
    const strict = await startTidings({ dev: false });
    try {
      const post = (uri: string) => strict.api("POST", "/v1/webhooks", { uri, subscribed_events: ["*"] });
      const refused = [
        "https://127.0.0.1/h",
        "https://localhost/h",
        "https://10.1.2.3/h",
        "https://169.254.169.254/latest",
        "https://[::1]/h",
        "https://100.64.0.1/h",
        "http://example.com/h",
      ];
      for (const uri of refused) expectStatus(await post(uri), 400, "INVALID_ARGUMENT", "uri");
      expect((await post("https://example.com/h")).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it("unknown ids are 404", async () => {
    expectStatus(await server.api("GET", "/v1/webhooks/nosuchwebhook"), 404, "NOT_FOUND");
    expectStatus(await server.api("POST", "/v1/operations/nosuchop:complete", {}), 404, "NOT_FOUND");
    expectStatus(await server.api("GET", "/v1/events/msg_nope"), 404, "NOT_FOUND");
    expectStatus(await server.api("GET", "/v1/nothing-here"), 404, "NOT_FOUND");
  });

  it("an oversize body is 413", async () => {
    const res = await server.api("POST", "/v1/operations", {
      type: "export",
      metadata: { blob: "x".repeat(2 * 1024 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe(413);
  });

  it("a missing or wrong key is 401", async () => {
    expectStatus(await server.api("GET", "/v1/webhooks", undefined, null), 401, "UNAUTHENTICATED");
    expectStatus(await server.api("GET", "/v1/webhooks", undefined, "wrong-key"), 401, "UNAUTHENTICATED");
    const bearer = await fetch(`${server.url}/v1/webhooks`, { headers: { authorization: `Bearer ${server.key}` } });
    expect(bearer.status).toBe(200);
  });

  it("another project's resource is 404", async () => {
    const project = await server.api("POST", "/v1/projects", { display_name: "other" }, ADMIN_KEY);
    expect(project.status).toBe(200);
    const minted = await server.api("POST", `/v1/projects/${project.body.id}/apiKeys`, undefined, ADMIN_KEY);
    const otherKey = minted.body.key as string;
    const mine = await server.api("POST", "/v1/webhooks", { uri: "https://x.example/h", subscribed_events: ["*"] });
    expectStatus(await server.api("GET", `/v1/webhooks/${mine.body.id}`, undefined, otherKey), 404, "NOT_FOUND");
    expectStatus(await server.api("DELETE", `/v1/webhooks/${mine.body.id}`, undefined, otherKey), 404, "NOT_FOUND");
    expect((await server.api("GET", "/v1/webhooks", undefined, otherKey)).body.webhooks).toEqual([]);
    expect((await server.api("GET", `/v1/webhooks/${mine.body.id}`)).status).toBe(200);
    // Ending takes the operation's project into the statement that ends it: another project's is not found.
    const op = await server.api("POST", "/v1/operations", { type: "export" });
    expectStatus(await server.api("POST", `/v1/${op.body.name}:complete`, {}, otherKey), 404, "NOT_FOUND");
    expectStatus(await server.api("POST", `/v1/${op.body.name}:cancel`, undefined, otherKey), 404, "NOT_FOUND");
    expect((await server.api("GET", `/v1/${op.body.name}`)).body).toMatchObject({ done: false });
  });

  it("admin calls need the admin key", async () => {
    expectStatus(await server.api("POST", "/v1/projects", {}), 403, "PERMISSION_DENIED");
  });

  it("completing an operation twice is 409", async () => {
    const op = await server.api("POST", "/v1/operations", { type: "export" });
    expect((await server.api("POST", `/v1/${op.body.name}:complete`, {})).status).toBe(200);
    expectStatus(await server.api("POST", `/v1/${op.body.name}:complete`, {}), 409, "FAILED_PRECONDITION");
    expectStatus(await server.api("POST", `/v1/${op.body.name}:cancel`), 409, "FAILED_PRECONDITION");
  });

  it("endings of one operation at once: one wins, the others are 409, and a missing one is 404", async () => {
    const op = await server.api("POST", "/v1/operations", { type: "export" });
    // Sent together, they share the ending's batch (one transaction); each request still gets its own answer.
    const [notFound, ...endings] = await Promise.all([
      server.api("POST", "/v1/operations/0000000000000-missing:complete", {}),
      server.api("POST", `/v1/${op.body.name}:complete`, { response: { rows: 1 } }),
      server.api("POST", `/v1/${op.body.name}:fail`, { error: { code: 13, message: "late" } }),
      server.api("POST", `/v1/${op.body.name}:cancel`),
    ]);
    expectStatus(notFound!, 404, "NOT_FOUND");
    const winners = endings.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of endings.filter((r) => r.status !== 200)) expectStatus(loser, 409, "FAILED_PRECONDITION");
    const polled = await server.api("GET", `/v1/${op.body.name}`);
    expect(polled.body).toMatchObject({ done: true, metadata: { state: winners[0]!.body.metadata.state } });
  });

  it("bad operation input names the field", async () => {
    expectStatus(await server.api("POST", "/v1/operations", {}), 400, "INVALID_ARGUMENT", "type");
    expectStatus(await server.api("POST", "/v1/operations", { type: "batch" }), 400, "INVALID_ARGUMENT", "type");
    expectStatus(await server.api("POST", "/v1/operations", { type: "Bad-Type" }), 400, "INVALID_ARGUMENT", "type");
    expectStatus(
      await server.api("POST", "/v1/operations", { type: "x", expire_time: "tomorrow" }),
      400,
      "INVALID_ARGUMENT",
      "expire_time",
    );
    expectStatus(
      await server.api("POST", "/v1/operations", { type: "x", webhook_config: { uris: ["nope"] } }),
      400,
      "INVALID_ARGUMENT",
      "webhook_config.uris[0]",
    );
    expectStatus(await server.api("GET", "/v1/operations?filter=state%3Dweird"), 400, "INVALID_ARGUMENT", "filter");
    expectStatus(await server.api("GET", "/v1/webhooks?page_size=5000"), 400, "INVALID_ARGUMENT", "page_size");
    expectStatus(await server.api("PATCH", "/v1/webhooks/x?update_mask=id", {}), 404, "NOT_FOUND");
  });

  // Found by the fuzz test: Fastify and node:http answered these in their own shape (`{"error":"Bad Request",
  // "code":"FST_ERR_BAD_URL",…}`), and an id of 101 to 128 characters, valid by the contract, was a 414.
  it("what the router and node:http answer on their own is a google.rpc.Status too", async () => {
    expectStatus(await server.api("GET", "/v1/webhooks/%ZZ"), 400, "INVALID_ARGUMENT", "path");
    expectStatus(await server.api("GET", `/v1/webhooks/${"a".repeat(128)}`), 404, "NOT_FOUND");
    expectStatus(await server.api("POST", `/v1/webhooks/${"a".repeat(120)}:ping`, {}), 404, "NOT_FOUND");
    expectStatus(await server.api("GET", `/v1/webhooks/${"a".repeat(129)}`), 400, "INVALID_ARGUMENT", "id");
    expectStatus(await server.api("GET", `/v1/webhooks/${"a".repeat(15_000)}`), 400, "INVALID_ARGUMENT", "id");
    expectStatus(await server.api("GET", `/v1/webhooks?page_token=${"t".repeat(20_000)}`), 431, "INVALID_ARGUMENT");
  });

  it("a JSON text sent as text/plain is refused for its content type", async () => {
    const res = await fetch(`${server.url}/v1/operations`, {
      method: "POST",
      headers: { "x-goog-api-key": server.key, "content-type": "text/plain" },
      body: '{"type":"export"}',
    });
    expectStatus({ status: res.status, body: await res.json() }, 400, "INVALID_ARGUMENT", "content-type");
  });

  it("the server stays healthy after all of that", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
