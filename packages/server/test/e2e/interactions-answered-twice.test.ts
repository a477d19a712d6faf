/**
 * An interaction answered twice continues once: a webhook receiver is at-least-once, so it may get
 * interaction.requires_action twice and answer twice. The second answer gets the first continuation back
 * (same input) or a 400 naming it (other input), and the paused interaction shows as resumed.
 */
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { registerWebhook, startTidings, TEST_KEY, waitUntil, type TestServer } from "../helpers/tidings.js";

const MODEL = "gemini-2.5-flash";
const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

let server: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  server = await startTidings();
  receiver = await startReceiver();
  await registerWebhook(server, receiver.url, ["interaction.*"]);
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

interface Paused {
  id: string;
  callId: string;
}

/** A background interaction paused at requires_action for get_weather(city). */
async function paused(city: string): Promise<Paused> {
  const created = await server.api("POST", "/v1/interactions", {
    model: MODEL,
    input: `Use get_weather with city: ${city}`,
    tools: [weather],
    background: true,
  });
  let interaction: { status: string; steps: { type: string; id?: string }[] } | undefined;
  await waitUntil(
    async () =>
      (interaction = (await server.api("GET", `/v1/interactions/${created.body.id}`)).body).status ===
      "requires_action",
  );
  const call = interaction!.steps.find((s) => s.type === "function_call")!;
  return { id: created.body.id, callId: call.id! };
}

const answer = (p: Paused, result: unknown, extra: Record<string, unknown> = { background: true }) => ({
  model: MODEL,
  previous_interaction_id: p.id,
  input: [{ type: "function_result", call_id: p.callId, name: "get_weather", result }],
  ...extra,
});

const eventsOfType = (type: string, id: string) =>
  receiver.received.filter((r) => {
    const body = JSON.parse(r.body) as { type: string; data: { id: string } };
    return body.type === type && body.data.id === id;
  });

describe("an interaction answered twice continues once", () => {
  it("the same answer twice (the second through @google/genai) returns the first continuation: 200, same id, one run", async () => {
    const p = await paused("Paris");
    const first = await server.api("POST", "/v1/interactions", answer(p, { temp_c: 21, sky: "clear" }));
    expect(first.status).toBe(200);
    const ai = new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });
    // The same results, their keys in another order.
    const second = await ai.interactions.create({
      model: MODEL,
      previous_interaction_id: p.id,
      input: [
        { type: "function_result", call_id: p.callId, name: "get_weather", result: { sky: "clear", temp_c: 21 } },
      ],
      background: true,
    });
    expect(second.id).toBe(first.body.id);

    await waitUntil(
      () => eventsOfType("interaction.completed", first.body.id).length > 0,
      10_000,
      "the continuation's end",
    );
    const original = await server.api("GET", `/v1/interactions/${p.id}`);
    expect(original.body).toMatchObject({ status: "requires_action", resumed_by: first.body.id });
    const continuation = await server.api("GET", `/v1/interactions/${first.body.id}`);
    expect(continuation.body).toMatchObject({ status: "completed", previous_interaction_id: p.id });
    expect(continuation.body.resumed_by).toBeUndefined();
    // A third answer, after it completed, still gets it back, and nothing new runs.
    expect((await server.api("POST", "/v1/interactions", answer(p, { temp_c: 21, sky: "clear" }))).body.id).toBe(
      first.body.id,
    );
    expect(eventsOfType("interaction.completed", first.body.id)).toHaveLength(1);
  });

  it("another answer is a 400 naming previous_interaction_id and the first continuation", async () => {
    const p = await paused("Rome");
    const first = await server.api("POST", "/v1/interactions", answer(p, { temp_c: 30 }));
    const other = await server.api("POST", "/v1/interactions", answer(p, { temp_c: 31 }));
    expect(other.status).toBe(400);
    expect(other.body.error.details[0].fieldViolations[0].field).toBe("previous_interaction_id");
    expect(other.body.error.message).toContain(first.body.id);
  });

  it("two answers at once make one continuation", async () => {
    const p = await paused("Oslo");
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => server.api("POST", "/v1/interactions", answer(p, { temp_c: 4 }))),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect((await server.api("GET", `/v1/interactions/${p.id}`)).body.resumed_by).toBe(answers[0]!.body.id);
  });

  it("a foreground answer twice: the second gets the stored first one, which ran once", async () => {
    const p = await paused("Lima");
    const first = await server.api("POST", "/v1/interactions", answer(p, { temp_c: 18 }, {}));
    expect(first.body.status).toBe("completed");
    const second = await server.api("POST", "/v1/interactions", answer(p, { temp_c: 18 }, {}));
    expect(second.body).toEqual(first.body);
  });

  it("a resumed interaction is not cancelled (its continuation runs on), and deleting it leaves the continuation alone", async () => {
    const p = await paused("Cairo");
    const first = await server.api("POST", "/v1/interactions", answer(p, { temp_c: 35 }));
    const cancel = await server.api("POST", `/v1/interactions/${p.id}/cancel`, {});
    expect(cancel.status).toBe(400);
    expect(cancel.body.error.message).toContain(first.body.id);
    expect((await server.api("DELETE", `/v1/interactions/${p.id}`)).status).toBe(200);
    expect(eventsOfType("interaction.cancelled", p.id)).toHaveLength(0);
    expect((await server.api("GET", `/v1/interactions/${first.body.id}`)).status).toBe(200);
  });

  it("the dashboard shows an answered interaction as resumed, with a link to its continuation", async () => {
    const p = await paused("Kyiv");
    const first = await server.api("POST", "/v1/interactions", answer(p, { temp_c: 10 }));
    let cookie = "";
    const dashboard = async (path: string, form?: Record<string, string>) => {
      const res = await fetch(`${server.url}${path}`, {
        method: form === undefined ? "GET" : "POST",
        redirect: "manual",
        headers: {
          cookie,
          ...(form === undefined ? {} : { "content-type": "application/x-www-form-urlencoded", origin: server.url }),
        },
        body: form === undefined ? undefined : new URLSearchParams(form).toString(),
      });
      for (const set of res.headers.getSetCookie()) {
        const [pair = ""] = set.split(";");
        cookie = [...cookie.split("; ").filter((c) => c !== "" && c.split("=")[0] !== pair.split("=")[0]), pair].join(
          "; ",
        );
      }
      return res;
    };
    const signIn = await (await dashboard("/dashboard/sign-in")).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(signIn)![1]!;
    expect((await dashboard("/dashboard/sign-in", { api_key: TEST_KEY, _csrf: csrf })).status).toBe(303);

    const page = await (await dashboard(`/dashboard/interactions/${p.id}`)).text();
    expect(page).toMatch(/data-state[^>]*>resumed</);
    expect(page).toContain(`href="/dashboard/interactions/${first.body.id}"`);
    expect(page).not.toContain("data-pending-call");
    const list = await (await dashboard("/dashboard/interactions")).text();
    const row = new RegExp(`<tr data-interaction="interactions/${p.id}">[\\s\\S]*?</tr>`).exec(list)![0];
    expect(row).toMatch(/>resumed</);
    expect(row).not.toContain("requires action");
  });
});
