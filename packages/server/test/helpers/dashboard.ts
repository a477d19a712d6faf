import type { TestServer } from "./tidings.js";

/**
 * A browser signed in to the dashboard with the server's API key, reduced to what page tests need: it keeps the
 * session cookie and reads pages as HTML.
 */
export async function signedIn(server: TestServer): Promise<{ page(path: string): Promise<string> }> {
  const cookies = new Map<string, string>();
  const take = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [name = "", value = ""] = (line.split(";")[0] ?? "").split("=");
      cookies.set(name.trim(), value);
    }
  };
  const header = () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { cookie: header() }, redirect: "manual" });
    take(res);
    return res;
  };
  const form = await (await get("/dashboard/sign-in")).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form)?.[1] ?? "";
  const res = await fetch(`${server.url}/dashboard/sign-in`, {
    method: "POST",
    headers: { cookie: header(), "content-type": "application/x-www-form-urlencoded", origin: server.url },
    body: new URLSearchParams({ api_key: server.key, _csrf: csrf }).toString(),
    redirect: "manual",
  });
  take(res);
  if (res.status !== 303) throw new Error(`dashboard sign-in answered ${res.status}`);
  return {
    async page(path: string) {
      const page = await get(path);
      if (page.status !== 200) throw new Error(`${path} answered ${page.status}`);
      return page.text();
    },
  };
}
