import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, screenshotDir } from "../helpers/browser.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import {
  completeOperation,
  registerWebhook,
  startTidings,
  TEST_KEY,
  waitUntil,
  type TestServer,
} from "../helpers/tidings.js";
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
    server = await startTidings({
      env: { TIDINGS_RETRY_SCHEDULE: "3600", TIDINGS_LOCAL_DELAY_MS: "200", TIDINGS_PROVIDER_CONCURRENCY: "2" },
    });
    failing = await startReceiver(() => ({ status: answer }));
    hook = await registerWebhook(server, failing.url, ["export.*", "webhook.ping"]);
    await completeOperation(server, "export");
    await completeOperation(server, "export");
    await failing.waitFor(2);
    const attempted = async () =>
      (await server.api("GET", `/v1/webhooks/${hook.id}/deliveries`)).body.deliveries.filter(
        (d: { attempts: unknown[] }) => d.attempts.length > 0,
      ).length === 2;
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
    for (const summary of await page.locator("tr[data-delivery] summary").filter({ hasText: "attempt" }).all())
      await summary.click();
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
    const eventId = await first
      .getAttribute("data-delivery")
      .then(async () => (await first.locator("a.mono").textContent())!.trim());
    await first.getByRole("button", { name: /Retry/ }).click();
    await page.waitForURL(`**/dashboard/events/${eventId}**`);
    expect(await page.getByRole("status").textContent()).toContain("Redelivered: 1");
    await failing.waitFor(before + 1);
    // The page refreshes itself while a delivery is pending; the new one ends up succeeded with its attempt.
    const succeeded = page.locator("tr[data-delivery]", {
      has: page.locator("[data-state]", { hasText: "succeeded" }),
    });
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
    const lines = Array.from({ length: total }, (_, i) => ({
      request: { contents: [{ parts: [{ text: `p${i}` }] }] },
      metadata: { key: `k${i}` },
    }));
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
    // Batch states read as every other operation's do.
    await expect.poll(() => row.locator("[data-state]").textContent(), { timeout: 30_000 }).toBe("succeeded");
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
    const tools = [
      {
        type: "function",
        name: "get_weather",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    ];
    const created = await server.api("POST", "/v1/interactions", {
      model: "m",
      input: "Use get_weather with city: Lima",
      tools,
      background: true,
    });
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

  it("links output files for download, and previews a video in place", async () => {
    const lines = [1, 2, 3].map((i) => ({
      request: { contents: [{ parts: [{ text: `out${i}` }] }] },
      metadata: { key: `o${i}` },
    }));
    const batch = await server.api("POST", "/v1/models/m:batchGenerateContent", {
      batch: { displayName: "outputs", inputConfig: { requests: { requests: lines } } },
    });
    const video = await server.api("POST", "/v1/models/veo-3.0-generate-001:predictLongRunning", {
      instances: [{ prompt: "a paper boat on a pond" }],
      parameters: { durationSeconds: 1 },
    });
    await waitUntil(
      async () => (await server.api("GET", `/v1/${batch.body.name}`)).body.done === true,
      30_000,
      "the batch",
    );
    await waitUntil(
      async () => (await server.api("GET", `/v1/${video.body.name}`)).body.done === true,
      30_000,
      "the video",
    );
    const output = (await server.api("GET", `/v1/${batch.body.name}`)).body.response.responsesFile as string;
    const expected = await (
      await fetch(`${server.url}/download/v1/${output}:download?alt=media`, {
        headers: { "x-goog-api-key": server.key },
      })
    ).text();

    await page.goto(`${server.url}/dashboard/operations/batch/${batch.body.name.split("/")[1]}`);
    const link = page.locator("[data-output-file]");
    expect(await link.textContent()).toBe(output);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const saved = join(shots, "batch-output.jsonl");
    await download.saveAs(saved);
    expect(readFileSync(saved, "utf8")).toBe(expected);
    await shot("11-batch-output-link");

    const [model, , id] = (video.body.name as string).split("/").slice(1);
    await page.goto(`${server.url}/dashboard/operations/video/${encodeURIComponent(`${model}/${id}`)}`);
    expect(await page.locator("[data-output-file]").textContent()).toMatch(/^files\/[a-z0-9]+$/);
    const preview = page.locator("video[data-video-preview]");
    // The clip's metadata loads, through the dashboard's own session (the API would want a key header).
    type Video = { readyState: number; videoWidth: number; duration: number };
    await expect
      .poll(() => preview.evaluate((v) => (v as unknown as Video).readyState), { timeout: 10_000 })
      .toBeGreaterThan(0);
    expect(
      await preview.evaluate((v) => [(v as unknown as Video).videoWidth > 0, (v as unknown as Video).duration > 0]),
    ).toEqual([true, true]);
    await shot("12-video-preview");
  });

  it("reads well: words stay whole in the What column, counts agree with their nouns", async () => {
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      storageState: await page.context().storageState(),
    });
    await phone.goto(`${server.url}/dashboard/operations?kind=batch`);
    const cells = phone.locator("tbody td.words");
    expect(await cells.count()).toBeGreaterThan(0);
    // Every word of every "What" cell is drawn on one line: a word broken inside has two boxes.
    const broken = await phone.evaluate(`[...document.querySelectorAll("tbody td.words")].flatMap((cell) => {
      const text = cell.firstChild;
      return [...text.textContent.matchAll(/\\S+/g)].flatMap((word) => {
        const range = document.createRange();
        range.setStart(text, word.index);
        range.setEnd(text, word.index + word[0].length);
        return range.getClientRects().length > 1 ? [word[0]] : [];
      });
    })`);
    expect(broken).toEqual([]);
    await phone.screenshot({ path: join(shots, "13-phone-operations.png"), fullPage: true });
    await phone.close();

    const receiver = await startReceiver();
    try {
      const once = await registerWebhook(server, receiver.url, ["webhook.ping"]);
      await server.api("POST", `/v1/webhooks/${once.id}:ping`, {});
      await receiver.waitFor(1);
      await page.goto(`${server.url}/dashboard/webhooks`);
      const row = page.locator(`tr[data-webhook="${once.id}"]`);
      await expect.poll(async () => (await page.reload(), row.textContent())).toContain("1 attempt");
      expect(await row.textContent()).not.toContain("1 attempts");
      await page.goto(`${server.url}/dashboard/webhooks/${once.id}`);
      expect(await page.locator("dl.facts").textContent()).toContain("of 1 attempt");
      await shot("14-webhooks-counts");
      await server.api("DELETE", `/v1/webhooks/${once.id}`);
    } finally {
      await receiver.close();
    }
  });

  it("keeps what was typed when a form is refused, and says what fits (ftp:// is not an http URL, in dev mode too)", async () => {
    await page.goto(`${server.url}/dashboard/webhooks`);
    const form = page.locator("form[action='/dashboard/webhooks']");
    await form.getByLabel("URL").fill("ftp://files.example.com/drop");
    await form.getByLabel("Name").fill("nightly export");
    await form.getByLabel("Events").fill("export.*");
    await form.getByRole("button", { name: "Register" }).click();
    const problem = page.locator("[data-form-problem]");
    await expect.poll(() => problem.count()).toBe(1);
    const message = (await problem.textContent()) ?? "";
    expect(message).toContain("(got ftp)");
    expect(message).not.toContain("dev mode");
    expect(server.config.dev).toBe(true);
    // The same page, the list still there, the form as it was typed, the field marked.
    expect(await page.locator("h1").textContent()).toBe("Webhooks");
    expect(await page.locator(`tr[data-webhook="${hook.id}"]`).count()).toBe(1);
    const again = page.locator("form[action='/dashboard/webhooks']");
    expect(await again.getByLabel("URL").inputValue()).toBe("ftp://files.example.com/drop");
    expect(await again.getByLabel("Name").inputValue()).toBe("nightly export");
    expect(await again.getByLabel("Events").inputValue()).toBe("export.*");
    expect(await again.getByLabel("URL").getAttribute("aria-invalid")).toBe("true");
    await shot("15-form-error-kept");
    // Fixed, it goes through.
    await again.getByLabel("URL").fill(failing.url);
    await again.getByRole("button", { name: "Register" }).click();
    await expect.poll(() => page.locator("[data-secret]").count()).toBe(1);
  });

  it("writes the recover picker's times as ISO UTC, like the rest of the dashboard, and keeps a mistyped one", async () => {
    await page.goto(`${server.url}/dashboard/webhooks/${hook.id}`);
    const since = page.getByLabel("Recover failed from (UTC)");
    expect(await since.getAttribute("type")).toBe("text");
    const shown = await since.inputValue();
    expect(shown).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z$/);
    expect(Date.parse(shown.replace(" ", "T"))).toBeLessThan(Date.now());
    await shot("16-recover-picker");
    await since.fill("last tuesday");
    await page.getByRole("button", { name: "Recover window" }).click();
    await expect
      .poll(() => page.locator("[data-form-problem]").textContent())
      .toContain("since: must be a time in UTC, e.g. ");
    expect(await page.getByLabel("Recover failed from (UTC)").inputValue()).toBe("last tuesday");
    expect(await page.locator("h2#deliveries").count()).toBe(1);
    await page.getByLabel("Recover failed from (UTC)").fill(shown);
    await page.getByRole("button", { name: "Recover window" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("failed deliveries re-queued");
  });

  it("opens the charts on the span of the traffic, not a fixed 6 hours", async () => {
    await page.goto(`${server.url}/dashboard/charts`);
    // The traffic began when this test's server started, minutes ago: the chart spans minutes, not hours.
    expect(await page.locator("[data-chart-span]").textContent()).toMatch(/^\d+ min$/);
    expect(await page.locator("select[name=hours]").inputValue()).toBe("");
    expect(await page.locator("svg.chart path[data-outcome]").count()).toBeGreaterThan(0);
    await shot("17-charts-fitted");
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
