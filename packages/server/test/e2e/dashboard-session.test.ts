import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTidings, type TestServer } from "../helpers/tidings.js";

/** A browser's cookie jar, reduced to what these tests need: name → value, as Set-Cookie left them. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const [name = "", value = ""] = pair.split("=");
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

describe("dashboard sessions and forms", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTidings();
  });
  afterAll(() => server.close());

  const get = async (jar: Jar, path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { cookie: jar.header() }, redirect: "manual" });
    jar.take(res);
    return { status: res.status, location: res.headers.get("location"), text: await res.text() };
  };
  const post = async (jar: Jar, path: string, form: Record<string, string>, origin = server.url) => {
    const res = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded", origin },
      body: new URLSearchParams(form).toString(),
      redirect: "manual",
    });
    jar.take(res);
    return { status: res.status, location: res.headers.get("location") };
  };
  const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
  const signIn = async (jar: Jar) => {
    const form = await get(jar, "/dashboard/sign-in");
    return post(jar, "/dashboard/sign-in", { api_key: server.key, _csrf: csrfOf(form.text) });
  };

  it("ends the session at sign-out: a copy of the cookie saved before no longer opens a page", async () => {
    const jar = new Jar();
    expect(await signIn(jar)).toMatchObject({ status: 303, location: "/dashboard/webhooks" });
    const saved = jar.cookies.get("tidings_session")!;
    const page = await get(jar, "/dashboard/webhooks");
    expect(page.status).toBe(200);

    expect(await post(jar, "/dashboard/sign-out", { _csrf: csrfOf(page.text) })).toMatchObject({
      status: 303,
      location: "/dashboard/sign-in",
    });
    const replay = new Jar();
    replay.cookies.set("tidings_session", saved);
    expect(await get(replay, "/dashboard/webhooks")).toMatchObject({ status: 303, location: "/dashboard/sign-in" });

    // Signing in again opens a new session, and the API key itself still works.
    const again = new Jar();
    expect((await signIn(again)).status).toBe(303);
    expect((await get(again, "/dashboard/webhooks")).status).toBe(200);
    expect((await server.api("GET", "/v1/webhooks")).status).toBe(200);
  });

  it("renews the CSRF secret at sign-in, so one planted in the browser before is not kept", async () => {
    const jar = new Jar();
    jar.cookies.set("tidings_csrf", "planted-by-a-sibling-subdomain");
    const form = await get(jar, "/dashboard/sign-in");
    expect(jar.cookies.get("tidings_csrf")).toBe("planted-by-a-sibling-subdomain");
    expect((await post(jar, "/dashboard/sign-in", { api_key: server.key, _csrf: csrfOf(form.text) })).status).toBe(303);
    expect(jar.cookies.get("tidings_csrf")).toBeDefined();
    expect(jar.cookies.get("tidings_csrf")).not.toBe("planted-by-a-sibling-subdomain");

    // A token made for the planted secret (the form's, before sign-in) is refused now.
    expect((await post(jar, "/dashboard/sign-out", { _csrf: csrfOf(form.text) })).status).toBe(403);
    const page = await get(jar, "/dashboard/webhooks");
    expect((await post(jar, "/dashboard/sign-out", { _csrf: csrfOf(page.text) })).status).toBe(303);
  });

  it("refuses a form posted from another origin, the same host over another scheme included", async () => {
    const jar = new Jar();
    await signIn(jar);
    const page = await get(jar, "/dashboard/webhooks");
    const host = new URL(server.url).host;
    for (const origin of [`https://${host}`, "http://evil.example", `http://${host}.evil.example`]) {
      expect((await post(jar, "/dashboard/sign-out", { _csrf: csrfOf(page.text) }, origin)).status, origin).toBe(403);
    }
    expect((await post(jar, "/dashboard/sign-out", { _csrf: csrfOf(page.text) }, `http://${host}`)).status).toBe(303);
  });
});
