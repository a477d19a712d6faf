import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, ManualClock, startTidings, type TestServer } from "../helpers/tidings.js";

interface ListedKey {
  id: string;
  project_id: string;
  create_time: string;
  last_use_time?: string;
  configured: boolean;
}

describe("API keys: listed and revoked through the admin API", () => {
  let server: TestServer;
  const clock = new ManualClock();
  beforeAll(async () => {
    // Time stands still: a key the server remembers is forgotten only because it was revoked, never because it aged.
    server = await startTidings({ clock });
  });
  afterAll(() => server.close());

  const admin = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body, ADMIN_KEY);

  it("mints a key with its id, lists ids, creation and last use but never a key, and refuses a revoked key at once", async () => {
    const minted = await admin<{ key: string; id: string; project_id: string }>(
      "POST",
      `/v1/projects/${server.projectId}/apiKeys`,
      {},
    );
    expect(minted.status).toBe(200);
    expect(minted.body).toEqual({
      key: expect.stringMatching(/^tdk_/),
      id: expect.stringMatching(/^[a-z0-9]{36}$/),
      project_id: server.projectId,
    });

    // Used, and so remembered by the server; the use is written beside the request, not before its answer.
    expect((await server.api("GET", "/v1/webhooks", undefined, minted.body.key)).status).toBe(200);
    const list = () => admin<{ api_keys: ListedKey[] }>("GET", `/v1/projects/${server.projectId}/apiKeys`);
    await expect
      .poll(async () => (await list()).body.api_keys.find((k) => k.id === minted.body.id)?.last_use_time)
      .toBeDefined();
    const listed = await list();
    expect(listed.status).toBe(200);
    const now = new Date(clock.now()).toISOString();
    // Oldest first; both were made at this (frozen) time.
    expect(listed.body.api_keys).toHaveLength(2);
    expect(listed.body.api_keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ project_id: server.projectId, configured: true }),
        { id: minted.body.id, project_id: server.projectId, create_time: now, last_use_time: now, configured: false },
      ]),
    );
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(minted.body.key);
    expect(text).not.toContain(server.key);

    expect((await admin("DELETE", `/v1/projects/${server.projectId}/apiKeys/${minted.body.id}`)).status).toBe(200);
    const refused = await server.api("GET", "/v1/webhooks", undefined, minted.body.key);
    expect(refused.status).toBe(401);
    expect((await admin("DELETE", `/v1/projects/${server.projectId}/apiKeys/${minted.body.id}`)).status).toBe(404);
    expect(
      (await admin<{ api_keys: ListedKey[] }>("GET", `/v1/projects/${server.projectId}/apiKeys`)).body.api_keys.map(
        (k) => k.id,
      ),
    ).not.toContain(minted.body.id);
    // The other keys go on working.
    expect((await server.api("GET", "/v1/webhooks")).status).toBe(200);
  });

  it("revokes a key only through its own project", async () => {
    const other = await admin<{ id: string }>("POST", "/v1/projects", { display_name: "other" });
    const minted = await admin<{ key: string; id: string }>("POST", `/v1/projects/${other.body.id}/apiKeys`, {});
    expect((await admin("DELETE", `/v1/projects/${server.projectId}/apiKeys/${minted.body.id}`)).status).toBe(404);
    expect((await server.api("GET", "/v1/webhooks", undefined, minted.body.key)).status).toBe(200);
    expect((await admin("GET", "/v1/projects/nope/apiKeys")).status).toBe(404);
    // Admin calls need the admin key.
    expect((await server.api("GET", `/v1/projects/${other.body.id}/apiKeys`)).status).toBe(403);
  });

  it("ends the dashboard sessions of a revoked key", async () => {
    const minted = await admin<{ key: string; id: string }>("POST", `/v1/projects/${server.projectId}/apiKeys`, {});
    const form = await fetch(`${server.url}/dashboard/sign-in`);
    const csrfCookie = form.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
    const signedIn = await fetch(`${server.url}/dashboard/sign-in`, {
      method: "POST",
      headers: { cookie: csrfCookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ api_key: minted.body.key, _csrf: csrf }).toString(),
      redirect: "manual",
    });
    const session = signedIn.headers
      .getSetCookie()
      .find((c) => c.startsWith("tidings_session="))!
      .split(";")[0]!;
    const page = () => fetch(`${server.url}/dashboard/webhooks`, { headers: { cookie: session }, redirect: "manual" });
    expect((await page()).status).toBe(200);
    await admin("DELETE", `/v1/projects/${server.projectId}/apiKeys/${minted.body.id}`);
    expect((await page()).status).toBe(303);
  });
});

describe("TIDINGS_API_KEY replaced and the server restarted", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tidings-keys-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("refuses the key it replaced, and keeps the keys minted beside it", async () => {
    const first = await startTidings({ dataDir, env: { TIDINGS_API_KEY: "first-key-0123456789" } });
    const minted = await first.api<{ key: string }>("POST", `/v1/projects/${first.projectId}/apiKeys`, {}, ADMIN_KEY);
    await first.stop();

    const second = await startTidings({ dataDir, env: { TIDINGS_API_KEY: "second-key-0123456789" } });
    try {
      expect((await second.api("GET", "/v1/webhooks", undefined, "first-key-0123456789")).status).toBe(401);
      expect((await second.api("GET", "/v1/webhooks", undefined, "second-key-0123456789")).status).toBe(200);
      expect((await second.api("GET", "/v1/webhooks", undefined, minted.body.key)).status).toBe(200);
      const listed = await second.api<{ api_keys: ListedKey[] }>(
        "GET",
        `/v1/projects/${second.projectId}/apiKeys`,
        undefined,
        ADMIN_KEY,
      );
      expect(listed.body.api_keys.filter((k) => k.configured)).toHaveLength(1);
    } finally {
      await second.stop();
    }

    // Restarting with the same value changes nothing; unset, the configured key stays (another process may still use
    // it).
    const third = await startTidings({ dataDir, env: { TIDINGS_API_KEY: "" } });
    try {
      expect((await third.api("GET", "/v1/webhooks", undefined, "second-key-0123456789")).status).toBe(200);
    } finally {
      await third.stop();
    }
  });
});
