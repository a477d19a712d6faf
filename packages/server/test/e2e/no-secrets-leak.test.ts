import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/logging.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { ADMIN_KEY, startTidings, TEST_KEY, waitUntil, type TestServer } from "../helpers/tidings.js";

/** A local OTLP/HTTP collector: keeps the JSON bodies of the trace exports it receives. */
async function startCollector(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/**
 * Everything an operator sees (dashboard pages, log lines, trace attributes) captured through one session
 * that handles every kind of credential Tidings has, then searched for each of them in full.
 */
describe("no credential in a page, a log line or a trace", () => {
  let server: TestServer;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let staticReceiver: Receiver;
  let dynamicReceiver: Receiver;
  const logLines: string[] = [];
  const pages: { path: string; html: string }[] = [];
  const shownOnce: string[] = [];
  const secrets: string[] = [];
  let sessionCookie = "";

  /** A dashboard request with the session cookie; pages are kept for the search. */
  async function dashboard(path: string, form?: Record<string, string>): Promise<Response> {
    const res = await fetch(`${server.url}${path}`, {
      method: form === undefined ? "GET" : "POST",
      redirect: "manual",
      headers: {
        cookie: sessionCookie,
        ...(form === undefined ? {} : { "content-type": "application/x-www-form-urlencoded", origin: server.url }),
      },
      body: form === undefined ? undefined : new URLSearchParams(form).toString(),
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const name = pair.split("=")[0];
      sessionCookie = [...sessionCookie.split("; ").filter((c) => c !== "" && c.split("=")[0] !== name), pair].join(
        "; ",
      );
    }
    return res;
  }
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  async function page(path: string): Promise<string> {
    const res = await dashboard(path);
    expect(res.status, path).toBe(200);
    const html = await res.text();
    pages.push({ path, html });
    return html;
  }

  beforeAll(async () => {
    collector = await startCollector();
    staticReceiver = await startReceiver(() => ({ status: 500 }));
    dynamicReceiver = await startReceiver(() => ({ status: 200 }));
    server = await startTidings({
      logger: createLogger("debug", { write: (line: string) => void logLines.push(line) }),
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, TIDINGS_RETRY_SCHEDULE: "3600" },
    });

    // Sign in; the session cookie is sealed, and is itself a credential.
    const signIn = await page("/dashboard/sign-in");
    expect((await dashboard("/dashboard/sign-in", { api_key: TEST_KEY, _csrf: csrfOf(signIn) })).status).toBe(303);
    expect(sessionCookie).toContain("tidings_session=");

    // A webhook made in the dashboard (its secret shown once), then rotated there (the new one shown once).
    const list = await page("/dashboard/webhooks");
    const created = await dashboard("/dashboard/webhooks", {
      uri: staticReceiver.url,
      subscribed_events: "*",
      _csrf: csrfOf(list),
    });
    const createdHtml = await created.text();
    const firstSecret = /data-secret>([^<]+)</.exec(createdHtml)![1]!;
    const hookId = /href="\/dashboard\/webhooks\/([a-z0-9]+)"/.exec(createdHtml)![1]!;
    shownOnce.push(createdHtml);
    const detail = await page(`/dashboard/webhooks/${hookId}`);
    const rotated = await (
      await dashboard(`/dashboard/webhooks/${hookId}/rotate`, {
        revocation_behavior: "revoke_previous_secrets_after_h24",
        _csrf: csrfOf(detail),
      })
    ).text();
    shownOnce.push(rotated);
    const secondSecret = /data-secret>([^<]+)</.exec(rotated)![1]!;
    // And one through the API.
    const viaApi = await server.api<{ id: string; new_signing_secret: string }>("POST", "/v1/webhooks", {
      uri: staticReceiver.url,
      subscribed_events: ["export.*"],
    });
    secrets.push(firstSecret, secondSecret, viaApi.body.new_signing_secret);

    // Deliveries: static ones signed with HMAC under both secrets (failing, so warnings are logged too),
    // a dynamic one signed with a JWT; the API key sent as a header and as ?key=.
    const op = await server.api<{ name: string }>("POST", "/v1/operations", {
      type: "export",
      webhook_config: { uris: [dynamicReceiver.url] },
    });
    await server.api("POST", `/v1/${op.body.name}:complete?key=${TEST_KEY}`, {}, null);
    const other = await server.api<{ name: string }>("POST", "/v1/operations", { type: "export" });
    await fetch(`${server.url}/v1/${other.body.name}:complete`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body: "{}",
    });
    await fetch(`${server.url}/v1/projects`, {
      method: "POST",
      headers: { "x-goog-api-key": ADMIN_KEY, "content-type": "application/json" },
      body: JSON.stringify({ display_name: "p" }),
    });
    await dynamicReceiver.waitFor(1);
    await staticReceiver.waitFor(2);
    await waitUntil(
      async () =>
        (await server.api("GET", `/v1/webhooks/${hookId}/deliveries`)).body.deliveries.some(
          (d: { attempts: unknown[] }) => d.attempts.length > 0,
        ),
      10_000,
      "the attempt's record",
    );

    // Every page an operator would open.
    for (const path of [
      "/dashboard/webhooks",
      `/dashboard/webhooks/${hookId}`,
      "/dashboard/events",
      "/dashboard/operations",
      "/dashboard/interactions",
      "/dashboard/charts",
    ])
      await page(path);
    const events = (await server.api<{ events: { id: string }[] }>("GET", "/v1/events")).body.events;
    for (const e of events) await page(`/dashboard/events/${e.id}`);
    await page(`/dashboard/operations/custom/${op.body.name.split("/")[1]}`);

    // Close the server: the tracer flushes what it buffered to the collector.
    await server.close();
  });

  afterAll(async () => {
    await Promise.all([collector?.close(), staticReceiver?.close(), dynamicReceiver?.close()]);
  });

  /** The full values that must never be shown again: keys, secrets, signatures, JWTs, the session cookie. */
  function credentials(): string[] {
    const signatures = [...staticReceiver.received, ...dynamicReceiver.received].flatMap((r) =>
      String(r.headers["webhook-signature"]).split(" "),
    );
    const hmacs = signatures.filter((s) => s.startsWith("v1,")).map((s) => s.slice(3));
    const jwts = signatures.filter((s) => s.startsWith("eyJ"));
    expect(hmacs.length).toBeGreaterThanOrEqual(3);
    expect(jwts).toHaveLength(1);
    const session = /tidings_session=([^;]+)/.exec(sessionCookie)![1]!;
    const secretBodies = secrets.map((s) => s.replace(/^whsec_/, ""));
    return [
      TEST_KEY,
      ADMIN_KEY,
      ...secrets,
      ...secretBodies,
      ...hmacs,
      ...jwts,
      ...jwts.map((j) => j.split(".")[2]!),
      session,
    ];
  }

  it("shows a signing secret only on the page right after it is made", () => {
    const all = credentials();
    expect(pages.length).toBeGreaterThan(8);
    for (const { path, html } of pages)
      for (const credential of all) expect(html.includes(credential), `${path} shows a credential`).toBe(false);
    expect(shownOnce[0]).toContain(secrets[0]);
    expect(shownOnce[1]).toContain(secrets[1]);
    // And the page that shows one shows nothing else secret.
    for (const html of shownOnce)
      for (const credential of [TEST_KEY, ADMIN_KEY, ...credentials().slice(2 + 2 * secrets.length)])
        expect(html.includes(credential)).toBe(false);
  });

  it("logs each attempt and state change, and no credential", () => {
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === "delivery attempt succeeded")).not.toHaveLength(0);
    const failed = lines.find((l) => typeof l.msg === "string" && l.msg.startsWith("delivery attempt failed"));
    expect(failed).toMatchObject({ outcome: "retry", status_code: 500, error: "HTTP 500", attempt: 1 });
    expect(failed!.endpoint).toBe(new URL(staticReceiver.url).origin);
    expect(lines.filter((l) => l.resource === "operation" && l.state === "succeeded")).toHaveLength(2);
    expect(lines.filter((l) => l.resource === "webhook" && l.state === "enabled")).toHaveLength(2);
    const text = logLines.join("");
    for (const credential of credentials())
      expect(text.includes(credential), "a log line holds a credential").toBe(false);
  });

  it("traces request → commit → delivery attempt, with no credential in any attribute", () => {
    const text = collector.bodies.join("\n");
    expect(text.length).toBeGreaterThan(0);
    for (const credential of credentials()) expect(text.includes(credential), "a trace holds a credential").toBe(false);
    const spans = collector.bodies.flatMap((b) =>
      (JSON.parse(b) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
        r.scopeSpans.flatMap((s) => s.spans),
      ),
    );
    const complete = spans.filter((s) => s.name.startsWith("POST") && s.name.endsWith("::complete"));
    expect(complete).toHaveLength(2);
    // One request's trace holds its commit and the delivery attempt it caused.
    const traced = complete.map((request) => ({
      request,
      commits: spans.filter(
        (s) => s.traceId === request.traceId && s.name === "commit" && s.parentSpanId === request.spanId,
      ),
      attempts: spans.filter((s) => s.traceId === request.traceId && s.name === "webhook attempt"),
    }));
    for (const { commits, attempts } of traced) {
      expect(commits.length).toBeGreaterThanOrEqual(1);
      expect(attempts.length).toBeGreaterThanOrEqual(1);
    }
    const attributeKeys = new Set(spans.flatMap((s) => s.attributes.map((a) => a.key)));
    for (const key of attributeKeys) expect(key).not.toMatch(/header|key|secret|signature|url\.full|url\.query/i);
  });
});
