import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, screenshotDir } from "../helpers/browser.js";
import { registerWebhook, startTidings, TEST_KEY, type TestServer } from "../helpers/tidings.js";

/**
 * A read-only portal link in Chromium, clicked on another site's page (as in an email or a chat), which is
 * how customers receive one: the dashboard's cookie is SameSite=Strict, and must still be sent after it.
 */
describe.skipIf(!chromiumAvailable())("a portal link in a browser", () => {
  let server: TestServer;
  let browser: Browser;
  let elsewhere: Server;

  beforeAll(async () => {
    server = await startTidings();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => elsewhere?.close(resolve));
    await server?.close();
  });

  it("clicked on another site, opens the project's dashboard read-only: no forms, no key; a second click fails", async () => {
    await registerWebhook(server, "https://customer.example/hooks/tidings");
    const link = (await server.api("POST", "/v1/portalLinks", { ttl: "900s", read_only: true })).body as {
      url: string;
    };
    // "localhost" is another site than the server's 127.0.0.1.
    elsewhere = createServer((_req, res) =>
      res.writeHead(200, { "content-type": "text/html" }).end(`<a href="${link.url}">Your webhooks</a>`),
    );
    await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
    const mail = `http://localhost:${(elsewhere.address() as AddressInfo).port}/`;

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(mail);
    await page.getByRole("link", { name: "Your webhooks" }).click();
    await page.waitForURL(`${server.url}/dashboard/webhooks`);
    await expect.poll(() => page.locator("main").textContent()).toContain("https://customer.example/hooks/tidings");
    expect(await page.locator("form").count()).toBe(0);
    expect(await page.locator("[data-portal]").textContent()).toContain("Read-only portal");
    expect(await page.content()).not.toContain(TEST_KEY);
    const cookie = (await page.context().cookies()).find((c) => c.name === "tidings_portal")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/dashboard" });
    await page.screenshot({ path: join(screenshotDir("dashboard"), "portal-read-only.png"), fullPage: true });
    for (const section of ["Events", "Operations", "Interactions", "Charts"]) {
      await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: section }).click();
      await page.waitForURL(`**/dashboard/${section.toLowerCase()}**`);
      expect(await page.locator("form").count(), section).toBe(0);
    }

    await page.goto(mail);
    await page.getByRole("link", { name: "Your webhooks" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("This link cannot be opened");
  });
});
