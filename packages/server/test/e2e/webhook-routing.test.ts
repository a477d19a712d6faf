/**
 * Routing per webhook (issue 19 §3): a rate limit, and FIFO ordering. Real server, real receiver on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from "vitest";
import { signedIn } from "../helpers/dashboard.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";

let server: TestServer | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await server?.close();
  await receiver?.close();
});

const operationOf = (body: string) => (JSON.parse(body) as { data: { id: string } }).data.id;

/** Creates `count` custom operations, then completes them all at once; their names, in the order they were created. */
async function completeMany(s: TestServer, count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++)
    names.push((await s.api<{ name: string }>("POST", "/v1/operations", { type: "export" })).body.name);
  await Promise.all(names.map((name) => s.api("POST", `/v1/${name}:complete`, { response: {} })));
  return names;
}

describe("a webhook's rate limit", () => {
  it("delivers every event, never more than the limit (plus one at the edge) in any second", async () => {
    receiver = await startReceiver();
    server = await startTidings();
    const created = await server.api<{ id: string; rate_limit_per_second: number }>("POST", "/v1/webhooks", {
      uri: `${receiver.url}/hook`,
      subscribed_events: ["*"],
      rate_limit_per_second: 10,
    });
    expect(created.body.rate_limit_per_second).toBe(10);
    await completeMany(server, 60);
    const got = await receiver.waitFor(60, 30_000);
    const times = got.map((r) => r.at).sort((a, b) => a - b);
    let most = 0;
    for (const [i, t] of times.entries()) most = Math.max(most, times.filter((u, j) => j >= i && u < t + 1000).length);
    expect(most).toBeLessThanOrEqual(12);
    expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(60);
    // None counted as failed: each delivery succeeded at its first attempt.
    await waitUntil(
      async () =>
        (
          await server!.api<{ deliveries: unknown[] }>(
            "GET",
            `/v1/webhooks/${created.body.id}/deliveries?state=succeeded&page_size=100`,
          )
        ).body.deliveries.length === 60,
    );
    const { deliveries } = (
      await server.api<{ deliveries: { attempt_count: number }[] }>(
        "GET",
        `/v1/webhooks/${created.body.id}/deliveries?page_size=100`,
      )
    ).body;
    expect(deliveries.every((d) => d.attempt_count === 1)).toBe(true);
  });

  it("refuses a limit that is not a whole number of at least 1, naming the field", async () => {
    server = await startTidings();
    for (const bad of [0, 2.5, "ten"]) {
      const res = await server.api("POST", "/v1/webhooks", {
        uri: "https://example.com/hook",
        subscribed_events: ["*"],
        rate_limit_per_second: bad,
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/"field":"rate_limit_per_second"/);
    }
  });
});

describe("a FIFO webhook", () => {
  it("receives 30 events in the order they committed, although the 10th failed once", async () => {
    const seen = new Map<string, number>();
    receiver = await startReceiver((_n, r) => {
      const op = operationOf(r.body);
      const times = (seen.get(op) ?? 0) + 1;
      seen.set(op, times);
      return { status: op === tenth && times === 1 ? 503 : 200 };
    });
    server = await startTidings();
    const created = await server.api<{ id: string; ordering: string }>("POST", "/v1/webhooks", {
      uri: `${receiver.url}/hook`,
      subscribed_events: ["*"],
      ordering: "fifo",
    });
    expect(created.body.ordering).toBe("fifo");
    let tenth = "";
    const names: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { name } = (await server.api<{ name: string }>("POST", "/v1/operations", { type: "export" })).body;
      if (i === 9) tenth = name;
      names.push(name);
    }
    // Completed one after another, so their events commit in this order.
    for (const name of names) await server.api("POST", `/v1/${name}:complete`, { response: {} });
    const got = await receiver.waitFor(31, 30_000);
    const answered = got.filter(
      (r, i) => !(operationOf(r.body) === tenth && got.findIndex((x) => operationOf(x.body) === tenth) === i),
    );
    expect(answered.map((r) => operationOf(r.body))).toEqual(names);
    // The failed one was sent again before anything behind it.
    expect(got.map((r) => operationOf(r.body)).indexOf(names[10]!)).toBe(11);
  });

  it("shows as blocked on the dashboard while its oldest delivery is failing, with that delivery", async () => {
    receiver = await startReceiver(() => ({ status: 500 }));
    server = await startTidings({ env: { TIDINGS_RETRY_SCHEDULE: "60,60" } });
    const created = await server.api<{ id: string }>("POST", "/v1/webhooks", {
      uri: `${receiver.url}/hook`,
      subscribed_events: ["*"],
      ordering: "fifo",
    });
    const [first] = await completeMany(server, 3);
    await receiver.waitFor(1);
    let head: { id: string } | undefined;
    await waitUntil(async () => {
      const { deliveries } = (
        await server!.api<{ deliveries: { id: string; attempt_count: number }[] }>(
          "GET",
          `/v1/webhooks/${created.body.id}/deliveries?page_size=10`,
        )
      ).body;
      head = deliveries.find((d) => d.attempt_count === 1);
      return head !== undefined;
    });
    // Nothing behind it was sent.
    expect(receiver.received.map((r) => operationOf(r.body))).toEqual([first]);
    const page = await (await signedIn(server)).page(`/dashboard/webhooks/${created.body.id}`);
    expect(page).toContain("blocked");
    expect(page).toContain(head!.id);
  });
});
