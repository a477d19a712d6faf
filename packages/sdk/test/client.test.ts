import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TidingsApiError, TidingsClient, TidingsConnectionError } from "../src/index.js";
import { listen, type TestServer } from "./helpers.js";

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

let server: TestServer;
let seen: Seen[] = [];
/** The next reply; defaults to echoing the request so each test can check what was sent. */
let reply: { status: number; body: string } | undefined;

beforeAll(async () => {
  server = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const entry: Seen = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      seen.push(entry);
      const next = reply ?? { status: 200, body: JSON.stringify({ name: "operations/op1", echo: entry.body ?? null }) };
      reply = undefined;
      res.writeHead(next.status, { "content-type": "application/json" }).end(next.body);
    });
  });
});
afterAll(() => server.close());
beforeEach(() => {
  seen = [];
  reply = undefined;
});

function client(baseUrl = server.url): TidingsClient {
  return new TidingsClient({ baseUrl, apiKey: "tid_test_key" });
}

describe("TidingsClient", () => {
  it("custom operations: paths, methods, bodies, the api-key header, and id or name accepted", async () => {
    const c = client();
    const created = await c.operations.create({
      type: "render",
      metadata: { job: 1 },
      webhook_config: { uris: ["https://me.example/h"] },
    });
    expect(created.name).toBe("operations/op1");
    await c.operations.get("operations/op1");
    await c.operations.get("op1");
    await c.operations.complete(created.name, { output_file_uri: "files/out" });
    await c.operations.fail("op1", { error: { code: 13, message: "boom" } });
    await c.operations.cancel("operations/op1");

    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST /v1/operations",
      "GET /v1/operations/op1",
      "GET /v1/operations/op1",
      "POST /v1/operations/op1:complete",
      "POST /v1/operations/op1:fail",
      "POST /v1/operations/op1:cancel",
    ]);
    expect(seen[0]!.body).toEqual({
      type: "render",
      metadata: { job: 1 },
      webhook_config: { uris: ["https://me.example/h"] },
    });
    expect(seen[3]!.body).toEqual({ output_file_uri: "files/out" });
    expect(seen[4]!.body).toEqual({ error: { code: 13, message: "boom" } });
    for (const s of seen) {
      expect(s.headers["x-goog-api-key"]).toBe("tid_test_key");
      expect(s.headers.authorization).toBeUndefined();
    }
    expect(seen[0]!.headers["content-type"]).toBe("application/json");
    expect(seen[1]!.headers["content-type"]).toBeUndefined();
  });

  it("lists with query parameters and normalises the page token's spelling", async () => {
    const c = client(`${server.url}/`);
    reply = {
      status: 200,
      body: JSON.stringify({ operations: [{ name: "operations/a", done: false }], nextPageToken: "p2" }),
    };
    const page = await c.operations.list({ filter: "done=false", page_size: 10, page_token: "p1" });
    expect(page).toEqual({ operations: [{ name: "operations/a", done: false }], next_page_token: "p2" });
    reply = { status: 200, body: "{}" };
    expect(await c.events.list({ type: "batch.succeeded", operation: "batches/x" })).toEqual({ events: [] });
    expect(seen.map((s) => s.url)).toEqual([
      "/v1/operations?filter=done%3Dfalse&page_size=10&page_token=p1",
      "/v1/events?type=batch.succeeded&operation=batches%2Fx",
    ]);
  });

  it("events, webhooks, projects, event types and portal links reach their documented paths", async () => {
    const c = client(`${server.url}/v1beta`);
    await c.events.get("evt_1");
    await c.events.redeliver("evt_1", { webhook_id: "wh1" });
    await c.webhooks.create({ uri: "https://me.example/h", subscribed_events: ["batch.*"] });
    await c.webhooks.list({ page_size: 5 });
    await c.webhooks.get("wh1");
    await c.webhooks.update("wh1", { uri: "https://me.example/h2", subscribed_events: ["*"] });
    await c.webhooks.delete("wh1");
    await c.webhooks.ping("wh1");
    await c.webhooks.rotateSigningSecret("wh1", { revocation_behavior: "revoke_previous_secrets_immediately" });
    await c.webhooks.deliveries("wh1", { state: "failed" });
    await c.webhooks.recover("wh1", { since: "2026-05-01T00:00:00Z" });
    await c.projects.create({ display_name: "Acme" });
    await c.projects.createApiKey("projects/p1");
    await c.eventTypes.list({ page_size: 2 });
    await c.eventTypes.get("{type}.succeeded");
    await c.portalLinks.create({ ttl: "600s", read_only: true });
    await c.portalLinks.list();
    await c.portalLinks.revoke("portalLinks/l1");
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET /v1beta/events/evt_1",
      "POST /v1beta/events/evt_1:redeliver",
      "POST /v1beta/webhooks",
      "GET /v1beta/webhooks?page_size=5",
      "GET /v1beta/webhooks/wh1",
      "PATCH /v1beta/webhooks/wh1?update_mask=uri%2Csubscribed_events",
      "DELETE /v1beta/webhooks/wh1",
      "POST /v1beta/webhooks/wh1:ping",
      "POST /v1beta/webhooks/wh1:rotateSigningSecret",
      "GET /v1beta/webhooks/wh1/deliveries?state=failed",
      "POST /v1beta/webhooks/wh1:recover",
      "POST /v1beta/projects",
      "POST /v1beta/projects/p1/apiKeys",
      "GET /v1beta/eventTypes?page_size=2",
      "GET /v1beta/eventTypes/%7Btype%7D.succeeded",
      "POST /v1beta/portalLinks",
      "GET /v1beta/portalLinks",
      "DELETE /v1beta/portalLinks/l1",
    ]);
    expect(seen[1]!.body).toEqual({ webhook_id: "wh1" });
    expect(seen[8]!.body).toEqual({ revocation_behavior: "revoke_previous_secrets_immediately" });
    expect(seen[10]!.body).toEqual({ since: "2026-05-01T00:00:00Z" });
    expect(seen[11]!.body).toEqual({ display_name: "Acme" });
    expect(seen[15]!.body).toEqual({ ttl: "600s", read_only: true });
  });

  it("throws TidingsApiError carrying the google.rpc.Status", async () => {
    const status = {
      error: {
        code: 400,
        message: 'subscribed_events[1]: unknown event type "batch.done"',
        status: "INVALID_ARGUMENT",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "subscribed_events[1]" }],
          },
        ],
      },
    };
    reply = { status: 400, body: JSON.stringify(status) };
    const error = await client()
      .webhooks.create({ uri: "https://me.example/h", subscribed_events: ["batch.*", "batch.done"] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TidingsApiError);
    const apiError = error as TidingsApiError;
    expect(apiError.httpStatus).toBe(400);
    expect(apiError.code).toBe(400);
    expect(apiError.status).toBe("INVALID_ARGUMENT");
    expect(apiError.message).toContain("batch.done");
    expect(apiError.details).toEqual(status.error.details);
    expect(apiError.body).toEqual(status);

    reply = { status: 404, body: JSON.stringify({ error: { code: 404, message: "not found", status: "NOT_FOUND" } }) };
    await expect(client().operations.get("nope")).rejects.toMatchObject({ httpStatus: 404, status: "NOT_FOUND" });

    reply = { status: 502, body: "<html>bad gateway</html>" };
    const proxy = (await client()
      .events.get("e")
      .catch((e: unknown) => e)) as TidingsApiError;
    expect(proxy).toBeInstanceOf(TidingsApiError);
    expect(proxy.httpStatus).toBe(502);
    expect(proxy.status).toBeUndefined();
    expect(proxy.message).toContain("bad gateway");
  });

  it("throws TidingsConnectionError naming the URL when nothing answers there", async () => {
    const closed = await listen(() => undefined);
    const url = closed.url;
    await closed.close();
    const error = (await client(url)
      .webhooks.list()
      .catch((e: unknown) => e)) as TidingsConnectionError;
    expect(error).toBeInstanceOf(TidingsConnectionError);
    expect(error.url).toBe(`${url}/v1/webhooks`);
    expect(error.message).toMatch(new RegExp(`^could not reach ${url}/v1/webhooks \\(.*ECONNREFUSED`));
  });

  it("uses a custom fetch when given", async () => {
    const urls: string[] = [];
    const c = new TidingsClient({
      baseUrl: "https://tidings.example",
      apiKey: "k",
      fetch: async (input) => {
        urls.push(String(input));
        return new Response(JSON.stringify({ webhooks: [] }), { status: 200 });
      },
    });
    expect(await c.webhooks.list()).toEqual({ webhooks: [] });
    expect(urls).toEqual(["https://tidings.example/v1/webhooks"]);
  });
});
