/**
 * Portal links: a project's key makes a single-use link that signs a browser into that project's dashboard,
 * without the key ever being in the link or the pages; read-only ones show no forms and refuse every POST;
 * links are listed and revocable, and expire. Driven over real HTTP with a cookie jar (the browser test drives
 * one in Chromium, opened from another site's page).
 */
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import {
  ADMIN_KEY,
  ManualClock,
  registerWebhook,
  startTidings,
  TEST_KEY,
  type TestServer,
} from "../helpers/tidings.js";

let server: TestServer | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await receiver?.close();
  receiver = undefined;
});

/** A browser's cookies for one server, enough for the dashboard: name=value, replaced or cleared by Set-Cookie. */
class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  async get(path: string): Promise<{ status: number; body: string; location: string | null }> {
    const res = await fetch(path.startsWith("http") ? path : `${this.base}${path}`, {
      headers: this.headers(),
      redirect: "manual",
    });
    this.keep(res);
    return { status: res.status, body: await res.text(), location: res.headers.get("location") };
  }

  async post(
    path: string,
    form: Record<string, string>,
  ): Promise<{ status: number; body: string; location: string | null }> {
    const res = await fetch(`${this.base}${path}`, {
      method: "POST",
      headers: { ...this.headers(), "content-type": "application/x-www-form-urlencoded", origin: this.base },
      body: new URLSearchParams(form).toString(),
      redirect: "manual",
    });
    this.keep(res);
    return { status: res.status, body: await res.text(), location: res.headers.get("location") };
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }

  private headers(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const [name = "", value = ""] = pair.split("=", 2).map((s) => s.trim());
      const expired =
        value === "" || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

const DASHBOARD_PAGES = [
  "/dashboard/webhooks",
  "/dashboard/events",
  "/dashboard/operations",
  "/dashboard/interactions",
  "/dashboard/charts",
];

async function portalLink(
  s: TestServer,
  body: Record<string, unknown>,
): Promise<{ id: string; url: string; expire_time: string; read_only: boolean }> {
  const res = await s.api("POST", "/v1/portalLinks", body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

describe("a read-only portal link", () => {
  it("opens the project's dashboard without the API key, which appears nowhere; shows no forms; refuses POSTs; fails when opened again", async () => {
    receiver = await startReceiver();
    server = await startTidings();
    const hook = await registerWebhook(server, receiver.url, ["export.*"]);
    const link = await portalLink(server, { ttl: "600s", read_only: true });
    expect(link.url).toMatch(new RegExp(`^${server.url}/dashboard/portal/[A-Za-z0-9_-]{43}$`));
    expect(link.url).not.toContain(TEST_KEY);
    expect(link.read_only).toBe(true);

    const browser = new Browser(server.url);
    const opened = await browser.get(link.url);
    expect(opened.status).toBe(200);
    expect(opened.body).toContain('http-equiv="refresh"');
    expect(browser.has("tidings_portal")).toBe(true);

    const pages = [
      ...DASHBOARD_PAGES,
      `/dashboard/webhooks/${hook.id}`,
      "/dashboard/webhooks?state=failed",
      "/dashboard/charts?hours=24",
    ];
    for (const path of pages) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      expect(page.body, path).not.toContain("<form");
      expect(page.body, path).not.toContain(TEST_KEY);
      expect(page.body, path).toContain("Read-only portal");
    }
    expect((await browser.get("/dashboard/webhooks")).body).toContain(receiver.url);

    // Every POST is refused before it is read, even with a token: nothing is sent.
    const ping = await browser.post(`/dashboard/webhooks/${hook.id}/ping`, { _csrf: "x" });
    expect(ping.status).toBe(403);
    expect(ping.body).not.toContain("<form");
    expect((await browser.post("/dashboard/sign-out/portal", {})).status).toBe(403);
    expect((await server.api("GET", "/v1/events?type=webhook.ping")).body.events).toEqual([]);

    // Single use: a second opening, in this browser or another, fails.
    expect((await new Browser(server.url).get(link.url)).status).toBe(410);
    expect((await browser.get(link.url)).status).toBe(410);
  });

  it("sees its own project alone, and ends when its link is revoked", async () => {
    server = await startTidings();
    const mine = await registerWebhook(server, "https://mine.example/hook");
    const other = await server.api("POST", "/v1/projects", { display_name: "other" }, ADMIN_KEY);
    const otherKey = (await server.api("POST", `/v1/projects/${other.body.id}/apiKeys`, {}, ADMIN_KEY)).body
      .key as string;
    const theirs = await server.api(
      "POST",
      "/v1/webhooks",
      { uri: "https://theirs.example/hook", subscribed_events: ["*"] },
      otherKey,
    );

    const link = await portalLink(server, { read_only: true });
    const browser = new Browser(server.url);
    await browser.get(link.url);
    const list = await browser.get("/dashboard/webhooks");
    expect(list.body).toContain("https://mine.example/hook");
    expect(list.body).not.toContain("https://theirs.example/hook");
    expect((await browser.get(`/dashboard/webhooks/${mine.id}`)).status).toBe(200);
    expect((await browser.get(`/dashboard/webhooks/${theirs.body.id}`)).status).toBe(404);

    const listed = await server.api("GET", "/v1/portalLinks");
    expect(listed.body.portal_links).toEqual([
      {
        id: link.id,
        read_only: true,
        create_time: expect.any(String),
        expire_time: link.expire_time,
        open_time: expect.any(String),
      },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(link.url.split("/").at(-1));
    // Another project's key neither sees nor revokes it.
    expect((await server.api("GET", "/v1/portalLinks", undefined, otherKey)).body.portal_links).toEqual([]);
    expect((await server.api("DELETE", `/v1/portalLinks/${link.id}`, undefined, otherKey)).status).toBe(404);

    expect((await server.api("DELETE", `/v1/portalLinks/${link.id}`)).status).toBe(200);
    const after = await browser.get("/dashboard/webhooks");
    expect(after.status).toBe(303);
    expect(after.location).toBe("/dashboard/sign-in");
    expect((await server.api("GET", "/v1/portalLinks")).body.portal_links).toEqual([]);
  });
});

describe("a portal link that is not read-only", () => {
  it("manages the project's webhooks through the forms, and signing out revokes it", async () => {
    receiver = await startReceiver();
    server = await startTidings();
    const hook = await registerWebhook(server, receiver.url);
    const link = await portalLink(server, {});
    expect(link.read_only).toBe(false);
    const browser = new Browser(server.url);
    await browser.get(link.url);
    const page = await browser.get(`/dashboard/webhooks/${hook.id}`);
    expect(page.body).toContain(`action="/dashboard/webhooks/${hook.id}/ping"`);
    expect(page.body).not.toContain(TEST_KEY);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const ping = await browser.post(`/dashboard/webhooks/${hook.id}/ping`, { _csrf: csrf });
    expect(ping.status).toBe(303);
    const [delivered] = await receiver.waitFor(1);
    expect(JSON.parse(delivered!.body)).toMatchObject({ type: "webhook.ping" });

    expect((await browser.post("/dashboard/sign-out/portal", { _csrf: csrf })).location).toBe("/dashboard/sign-in");
    expect(browser.has("tidings_portal")).toBe(false);
    expect((await server.api("GET", "/v1/portalLinks")).body.portal_links).toEqual([]);
  });
});

describe("portal link lifetimes", () => {
  it("open only until they expire, and the session ends then too", async () => {
    const clock = new ManualClock(Date.now());
    server = await startTidings({ clock });
    const unopened = await portalLink(server, { ttl: "60s", read_only: true });
    const used = await portalLink(server, { ttl: "120s", read_only: true });
    expect(Date.parse(used.expire_time) - clock.now()).toBe(120_000);
    const browser = new Browser(server.url);
    await browser.get(used.url);
    clock.advance(60_000);
    expect((await new Browser(server.url).get(unopened.url)).status).toBe(410);
    expect((await browser.get("/dashboard/webhooks")).status).toBe(200);
    clock.advance(60_000);
    expect((await browser.get("/dashboard/webhooks")).status).toBe(303);
    expect((await server.api("GET", "/v1/portalLinks")).body.portal_links).toEqual([]);
  });

  it("take a ttl from a minute to a day, one hour by default, and refuse others by name", async () => {
    server = await startTidings();
    const link = await portalLink(server, {});
    expect(Date.parse(link.expire_time) - Date.now()).toBeGreaterThan(3_590_000);
    for (const ttl of ["59s", "86401s", "1h", ""]) {
      const res = await server.api("POST", "/v1/portalLinks", { ttl });
      expect(res.status, ttl).toBe(400);
      expect(res.body.error.details[0].fieldViolations[0].field, ttl).toBe("ttl");
    }
    expect((await server.api("POST", "/v1/portalLinks", {}, null)).status).toBe(401);
    expect((await server.api("DELETE", "/v1/portalLinks/nope")).status).toBe(404);
    expect((await new Browser(server.url).get("/dashboard/portal/made-up-token")).status).toBe(410);
  });
});
