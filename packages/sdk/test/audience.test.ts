import { createHash } from "node:crypto";
import type http from "node:http";
import Fastify from "fastify";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet } from "jose";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createVerifier,
  createWebhookReceiver,
  expressHandler,
  fastifyPlugin,
  fetchHandler,
  MissingAudienceError,
  nodeHandler,
  verifyWebhook,
  type JwtWebhookOptions,
  type NodeHandlerOptions,
  type WebhookReceiver,
} from "../src/index.js";
import { listen, post, type TestServer } from "./helpers.js";

let privateKey: CryptoKey;
let jwks: JSONWebKeySet;
beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  privateKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" }] };
});

let sequence = 0;
/** A delivery signed as Tidings signs one for the target URI `audience`. */
async function delivery(audience: string): Promise<{ body: string; headers: Record<string, string> }> {
  sequence++;
  const id = `msg_aud${String(sequence).padStart(24, "0")}`;
  const body = JSON.stringify({
    type: "render.succeeded",
    version: "v1",
    timestamp: new Date().toISOString(),
    data: { id: `operations/o${sequence}` },
  });
  const iat = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    type: "render.succeeded",
    body_sha256: createHash("sha256").update(body).digest("base64url"),
  })
    .setProtectedHeader({ alg: "RS256", kid: "k1", typ: "JWT" })
    .setIssuer("https://tidings.example")
    .setAudience(audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .setJti(id)
    .sign(privateKey);
  return { body, headers: { "webhook-id": id, "webhook-timestamp": String(iat), "webhook-signature": token } };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function receiver(audience?: string): WebhookReceiver {
  const r = createWebhookReceiver({ verify: { jwks, ...(audience !== undefined && { audience }) }, handler: () => {} });
  cleanups.push(() => r.close());
  return r;
}

async function serveNode(r: WebhookReceiver, options: NodeHandlerOptions = {}): Promise<TestServer> {
  const server = await listen(nodeHandler(r, options));
  cleanups.push(() => server.close());
  return server;
}

describe("a JWT needs an audience", () => {
  it("verifyWebhook without one rejects with MissingAudienceError instead of skipping the check", async () => {
    const d = await delivery("https://anywhere.example/hook");
    for (const options of [{ jwks }, { jwks, audience: "" }, { jwks, audience: undefined }]) {
      await expect(verifyWebhook(d.body, d.headers, options as unknown as JwtWebhookOptions)).rejects.toBeInstanceOf(
        MissingAudienceError,
      );
    }
    const error = await verifyWebhook(d.body, d.headers, { jwks } as unknown as JwtWebhookOptions).catch(
      (e: unknown) => e,
    );
    expect((error as MissingAudienceError).code).toBe("missing_audience");
  });

  it("a verifier built without one takes it from each call's URL, and refuses a call without a URL", async () => {
    const verify = createVerifier({ jwks });
    const d = await delivery("https://me.example/hook");
    await expect(verify(d.body, d.headers)).rejects.toBeInstanceOf(MissingAudienceError);
    await expect(verify(d.body, d.headers, { url: "https://me.example/hook" })).resolves.toMatchObject({
      type: "render.succeeded",
    });
    await expect(verify(d.body, d.headers, { url: "https://other.example/hook" })).rejects.toMatchObject({
      code: "invalid_audience",
    });
  });
});

describe("receiver helpers derive the audience from the request URL", () => {
  it("node:http: scheme, Host and path with query; a token for another endpoint is refused", async () => {
    const server = await serveNode(receiver());
    const url = `${server.url}/hooks/tidings?tenant=7`;
    const good = await delivery(url);
    expect((await post(url, good.body, good.headers)).status).toBe(202);
    const elsewhere = await delivery(`${server.url}/hooks/other`);
    const refused = await post(url, elsewhere.body, elsewhere.headers);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: "invalid_audience" } });
  });

  it("an explicit audience wins over the request URL", async () => {
    const server = await serveNode(receiver("https://public.example/hook"));
    const d = await delivery("https://public.example/hook");
    expect((await post(`${server.url}/internal`, d.body, d.headers)).status).toBe(202);
    const forRequestUrl = await delivery(`${server.url}/internal`);
    expect((await post(`${server.url}/internal`, forRequestUrl.body, forRequestUrl.headers)).status).toBe(400);
  });

  it("behind a proxy, trustProxy reads X-Forwarded-Proto and X-Forwarded-Host; without it they are ignored", async () => {
    const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "public.example" };
    const trusting = await serveNode(receiver(), { trustProxy: true });
    const d = await delivery("https://public.example/hook");
    expect((await post(`${trusting.url}/hook`, d.body, { ...d.headers, ...forwarded })).status).toBe(202);
    const plain = await serveNode(receiver());
    const e = await delivery("https://public.example/hook");
    expect((await post(`${plain.url}/hook`, e.body, { ...e.headers, ...forwarded })).status).toBe(400);
  });

  it("Express: the original URL, before a mounted router stripped its path", async () => {
    const handle = expressHandler(receiver());
    const server = await listen((req: http.IncomingMessage & { originalUrl?: string }, res) => {
      // What express.Router mounted at /api does to the request.
      req.originalUrl = req.url;
      req.url = req.url!.replace(/^\/api/, "");
      handle(req, res);
    });
    cleanups.push(() => server.close());
    const d = await delivery(`${server.url}/api/hook`);
    expect((await post(`${server.url}/api/hook`, d.body, d.headers)).status).toBe(202);
  });

  it("Fastify and fetch-style handlers", async () => {
    const app = Fastify();
    await app.register(fastifyPlugin(receiver(), { path: "/hook" }));
    await app.listen({ port: 0, host: "127.0.0.1" });
    cleanups.push(() => app.close());
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const d = await delivery(`${base}/hook`);
    expect((await post(`${base}/hook`, d.body, d.headers)).status).toBe(202);

    const handle = fetchHandler(receiver());
    const f = await delivery("https://edge.example/hook");
    const response = await handle(
      new Request("https://edge.example/hook", { method: "POST", headers: f.headers, body: f.body }),
    );
    expect(response.status).toBe(202);
  });
});
