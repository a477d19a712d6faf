import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, screenshotDir } from "../helpers/browser.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { completeOperation, registerWebhook, startTidings, TEST_KEY, waitUntil, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core), against a real server and
 * receivers on 127.0.0.1. Screenshots go to test-output/dashboard/.
 */
describe.skipIf(!chromiumAvailable())("dashboard in a browser", () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let failing: Receiver;
  let answer = 500;
  let hook: { id: string; secret: string };
  const shots = screenshotDir("dashboard");
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    // Retries an hour apart: each delivery makes exactly one attempt while the test looks at it.
    server = await startTidings({ env: { TIDINGS_RETRY_SCHEDULE: "3600", TIDINGS_LOCAL_DELAY_MS: "200", TIDINGS_PROVIDER_CONCURRENCY: "2" } });
    failing = await startReceiver(() => ({ status: answer }));
    hook = await registerWebhook(server, failing.url, ["export.*", "webhook.ping"]);
    await completeOperation(server, "export");
    await completeOperation(server, "export");
    await failing.waitFor(2);
    const attempted = async () =>
      (await server.api("GET", `/v1/webhooks/${hook.id}/deliveries`)).body.deliveries.filter((d: { attempts: unknown[] }) => d.attempts.length > 0).length ===
      2;
    await waitUntil(attempted, 10_000, "both attempts to be recorded");
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await failing?.close();
    await server?.close();
  });

  it("signs in with an API key kept in an http-only, SameSite=Strict cookie, never in the URL", async () => {
    await page.goto(`${server.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    await page.getByLabel("API key").fill("not-a-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not valid");
    await page.getByLabel("API key").fill(TEST_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/dashboard/webhooks");
    expect(page.url()).not.toContain(TEST_KEY);
    const session = (await page.context().cookies()).find((c) => c.name === "tidings_session")!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/dashboard" });
    expect(session.value).not.toContain(TEST_KEY);
  });

  it("shows the failing webhook and its failed attempts", async () => {
    const row = page.locator(`tr[data-webhook="${hook.id}"]`);
    await expect.poll(() => row.textContent()).toContain("HTTP 500");
    expect(await row.textContent()).toContain("0 %");
    expect(await row.textContent()).toContain("2 attempts");
    await shot("01-webhooks-failing");
    await row.getByRole("link").click();
    await page.waitForURL(`**/dashboard/webhooks/${hook.id}`);
    const deliveries = page.locator("tr[data-delivery]");
    expect(await deliveries.count()).toBe(2);
    for (const summary of await page.locator("tr[data-delivery] summary").filter({ hasText: "attempt" }).all()) await summary.click();
    const attempts = page.locator("[data-attempt]");
    expect(await attempts.count()).toBe(2);
    for (const attempt of await attempts.all()) expect(await attempt.textContent()).toContain("HTTP 500");
    // Request headers are shown; the signature is not kept, so it is never shown.
    await page.locator("[data-attempt] summary", { hasText: "Request headers" }).first().click();
    const headers = await page.locator("[data-request-headers]").first().textContent();
    expect(headers).toContain("webhook-id: msg_");
    expect(headers).toMatch(/webhook-timestamp: \d+/);
    expect(headers).toContain("webhook-signature: (not kept");
    expect(headers).not.toContain("v1,");
    await shot("02-webhook-attempts");
  });

  it("retries a delivery and shows the new attempt", async () => {
    answer = 200;
    const before = failing.received.length;
    const first = page.locator("tr[data-delivery]").first();
    const eventId = await first.getAttribute("data-delivery").then(async () => (await first.locator("a.mono").textContent())!.trim());
    await first.getByRole("button", { name: /Retry/ }).click();
    await page.waitForURL(`**/dashboard/events/${eventId}**`);
    expect(await page.getByRole("status").textContent()).toContain("Redelivered: 1");
    await failing.waitFor(before + 1);
    // The page refreshes itself while a delivery is pending; the new one ends up succeeded with its attempt.
    const succeeded = page.locator("tr[data-delivery]", { has: page.locator("[data-state]", { hasText: "succeeded" }) });
    await expect.poll(() => succeeded.count(), { timeout: 15_000 }).toBe(1);
    const attempt = await succeeded.locator("[data-attempt]").first().textContent();
    expect(attempt).toContain("HTTP 200");
    expect(await page.locator("tr[data-delivery]").count()).toBe(2);
    // The redelivery carries the event's webhook-id.
    expect(failing.received.at(-1)!.headers["webhook-id"]).toBe(eventId);
    await shot("03-retried-delivery");
  });

  it("rotates the secret and shows the new one exactly once", async () => {
    await page.goto(`${server.url}/dashboard/webhooks/${hook.id}`);
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const secret = (await page.locator("[data-secret]").textContent())!.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect((await page.content()).split(secret).length - 1).toBe(1);
    await shot("04-secret-shown-once");
    // It is the secret that signs from now on.
    const before = failing.received.length;
    await server.api("POST", `/v1/webhooks/${hook.id}:ping`, {});
    const [ping] = (await failing.waitFor(before + 1)).slice(before);
    expect(verifyWithReferenceLibraries(secret, ping!)).toMatchObject({ type: "webhook.ping" });
    // Never again: not on the webhook's page, not in the list.
    await page.getByRole("link", { name: /Continue to/ }).click();
    await page.waitForURL(`**/dashboard/webhooks/${hook.id}`);
    const content = await page.content();
    expect(content).not.toContain(secret);
    expect(content).toContain(`whsec_...${secret.slice(-4)}`);
    await page.goto(`${server.url}/dashboard/webhooks`);
    expect(await page.content()).not.toContain(secret);
  });

  it("shows a batch's progress moving until it is done", async () => {
    const total = 60;
    const lines = Array.from({ length: total }, (_, i) => ({ request: { contents: [{ parts: [{ text: `p${i}` }] }] }, metadata: { key: `k${i}` } }));
    const created = await server.api("POST", "/v1/models/m:batchGenerateContent", {
      batch: { displayName: "dashboard", inputConfig: { requests: { requests: lines } } },
    });
    expect(created.status).toBe(200);
    await page.goto(`${server.url}/dashboard/operations?kind=batch`);
    const row = page.locator(`tr[data-operation="${created.body.name}"]`);
    const progress = row.locator("[data-progress-text]");
    const completed = async () => Number((await progress.textContent())!.split("/")[0]);
    const first = await completed();
    expect(first).toBeLessThan(total);
    // The page polls the server every few seconds: the count moves on the page without a reload, while running.
    await expect
      .poll(
        async () => {
          const now = await completed();
          return now > first && now < total;
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe(true);
    await shot("05-batch-progress");
    await expect.poll(() => row.locator("[data-state]").textContent(), { timeout: 30_000 }).toBe("BATCH_STATE_SUCCEEDED");
    expect(await progress.textContent()).toBe(`${total} / ${total}`);
    expect(await row.locator("progress").getAttribute("value")).toBe(String(total));
    await shot("06-batch-done");
  });

  it("lists new events live, over the event stream", async () => {
    await page.goto(`${server.url}/dashboard/events`);
    await expect.poll(() => page.locator("#live-status").textContent()).toContain("Live");
    const rowsBefore = await page.locator("tbody tr").count();
    const id = await completeOperation(server, "report");
    const fresh = page.locator("tbody tr", { hasText: "report.succeeded" });
    await expect.poll(() => fresh.count()).toBe(1);
    expect(await fresh.textContent()).toContain(`operations/${id}`);
    expect(await page.locator("tbody tr").count()).toBe(rowsBefore + 1);
    await shot("07-events-live");
  });

  it("shows an interaction waiting for a function result, with the call it waits for and its event", async () => {
    const tools = [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
    const created = await server.api("POST", "/v1/interactions", { model: "m", input: "Use get_weather with city: Lima", tools, background: true });
    expect(created.status).toBe(200);
    const name = `interactions/${created.body.id}`;
    await page.goto(`${server.url}/dashboard/interactions`);
    const row = page.locator(`tr[data-interaction="${name}"]`);
    await expect
      .poll(
        async () => {
          await page.reload();
          return row.locator("[data-state]").textContent();
        },
        { timeout: 10_000 },
      )
      .toBe("requires action");
    await row.getByRole("link", { name }).click();
    await page.waitForURL(`**/dashboard/interactions/${created.body.id}`);
    expect(await page.locator("[data-pending-call]").textContent()).toContain('get_weather({"city":"Lima"})');
    await expect.poll(() => page.getByRole("link", { name: "interaction.requires_action" }).count()).toBe(1);
    await shot("09-interaction-waiting");
  });

  it("draws the charts, and works on a phone and from the keyboard", async () => {
    await page.goto(`${server.url}/dashboard/charts?hours=1`);
    expect(await page.locator("svg.chart path[data-outcome]").count()).toBeGreaterThan(0);
    expect(await page.locator("svg.chart polyline, svg.chart circle").count()).toBeGreaterThan(0);
    await shot("08-charts");
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      storageState: await page.context().storageState(),
    });
    await phone.goto(`${server.url}/dashboard/webhooks`);
    // Nothing wider than the screen but the table, which scrolls in its own box.
    const overflow = await phone.evaluate("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.keyboard.press("Tab");
    expect(await phone.evaluate("document.activeElement.textContent")).toBe("Skip to content");
    await phone.keyboard.press("Enter");
    await phone.screenshot({ path: join(shots, "10-phone-webhooks.png"), fullPage: true });
    await phone.close();
  });
});
