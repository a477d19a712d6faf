import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, startTidings, TEST_KEY, type TestServer } from "../helpers/tidings.js";

let server: TestServer;
let logs = "";
beforeAll(async () => {
  // Everything the server logs, at its most verbose.
  const sink = new Writable({ write: (chunk, _encoding, done) => ((logs += String(chunk)), done()) });
  server = await startTidings({ logger: pino({ level: "trace" }, sink) });
});
afterAll(() => server.close());

const createProject = (query: string, headers: Record<string, string>) =>
  fetch(`${server.url}/v1/projects${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: "{}",
  });

describe("the admin key", () => {
  it("is refused in the query string, with a 401 saying to send it in a header", async () => {
    const res = await createProject(`?key=${ADMIN_KEY}`, {});
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { status: string; message: string } };
    expect(body.error.status).toBe("UNAUTHENTICATED");
    expect(body.error.message).toMatch(/headers only/);
    const rotate = await fetch(`${server.url}/v1/signingKeys:rotate?key=${ADMIN_KEY}`, { method: "POST" });
    expect(rotate.status).toBe(401);
  });

  it("is accepted from x-goog-api-key and Authorization: Bearer", async () => {
    expect((await createProject("", { "x-goog-api-key": ADMIN_KEY })).status).toBe(200);
    expect((await createProject("", { authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(200);
  });

  it("refuses a wrong key of any length", async () => {
    for (const wrong of [ADMIN_KEY.replace(/.$/, "x"), `${ADMIN_KEY}x`, "a", TEST_KEY]) {
      expect((await createProject("", { "x-goog-api-key": wrong })).status, wrong).toBe(403);
    }
  });
});

describe("a project key in ?key=", () => {
  it("authenticates, as Google's APIs allow, and never reaches the log", async () => {
    expect((await fetch(`${server.url}/v1/webhooks?key=${TEST_KEY}`)).status).toBe(200);
    const wrong = "wrong-key-that-must-not-be-logged";
    expect((await fetch(`${server.url}/v1/webhooks?key=${wrong}`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/nothing-here?key=${TEST_KEY}`)).status).toBe(404);
    const bad = await fetch(`${server.url}/v1/operations?key=${TEST_KEY}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(bad.status).toBe(400);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(TEST_KEY);
    expect(logs).not.toContain(wrong);
    expect(logs).not.toContain(ADMIN_KEY);
  });
});
