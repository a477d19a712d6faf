/**
 * Proto3 JSON names (docs/wire.md: conventions): each field may be sent in snake_case or lowerCamelCase. For every
 * endpoint of
 * the OpenAPI document with a field that has two spellings (body or query), a case below runs the same
 * requests twice, once as the contract spells them and once with every field name in the other spelling
 * (free-form maps keep their keys), and reads back what they did. Both runs must read back the same, and
 * that must be the requested effect, not the default that an ignored field would leave.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operationsOf, otherSpelling, respell, fieldsWhere, type Operation } from "../helpers/openapi.js";
import { decodeMp4 } from "../helpers/mp4-frames.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { ADMIN_KEY, startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";

let server: TestServer;
let receiver: Receiver;
let operations: Map<string, Operation>;
beforeAll(async () => {
  server = await startTidings();
  receiver = await startReceiver();
  operations = new Map((await operationsOf(server.url)).map((op) => [op.id, op]));
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

/** How one run spells what it sends. */
interface Spelling {
  /** A body for `operation`, in this run's spelling. */
  body(operation: string, value: object): object;
  /** A query string's parameter names, in this run's spelling. */
  query(params: Record<string, string | number>): string;
  /** One field name (a FieldMask entry), in this run's spelling. */
  name(field: string): string;
}

const asDeclared: Spelling = {
  body: (_operation, value) => value,
  query: (params) =>
    `?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))}`,
  name: (field) => field,
};

const respelled: Spelling = {
  body: (operation, value) => respell(value, operations.get(operation)!.body) as object,
  query: (params) =>
    `?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [otherSpelling(k), String(v)]))}`,
  name: otherSpelling,
};

async function call<T = any>(method: string, path: string, body?: unknown, key = server.key): Promise<T> {
  const res = await server.api(method, path, body, key);
  if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/** Reads two pages of one item: the size and the token both have to take effect. */
async function twoPages(
  operation: string,
  path: string,
  spell: Spelling,
  items: string,
  key = server.key,
): Promise<[number, number, boolean]> {
  const [size, token] = operations
    .get(operation)!
    .query.filter((q) => /size|token/i.test(q))
    .sort((a, b) => (/size/i.test(a) ? -1 : /size/i.test(b) ? 1 : 0));
  const first = await call(`GET`, `${path}${spell.query({ [size!]: 1 })}`, undefined, key);
  const next = first.next_page_token ?? first.nextPageToken;
  const second = await call("GET", `${path}${spell.query({ [size!]: 1, [token!]: next })}`, undefined, key);
  return [
    first[items].length,
    second[items].length,
    JSON.stringify(first[items][0]) !== JSON.stringify(second[items][0]),
  ];
}

async function createWebhook(spell: Spelling, events = ["export.*"]): Promise<string> {
  return (
    await call(
      "POST",
      "/v1/webhooks",
      spell.body("POST /v1/webhooks", { uri: receiver.url, subscribed_events: events }),
    )
  ).id;
}

/** The event announcing `operation` once it exists, with its deliveries. */
async function eventOf(operation: string): Promise<any> {
  let id: string | undefined;
  await waitUntil(
    async () => (id = (await call("GET", `/v1/events${asDeclared.query({ operation })}`)).events[0]?.id) !== undefined,
    20_000,
    `the event of ${operation}`,
  );
  return call("GET", `/v1/events/${id}`);
}

async function upload(spell: Spelling, text: string, displayName: string): Promise<string> {
  // No size or type headers: the start body's sizeBytes and mimeType have to be read.
  const start = await fetch(`${server.url}/upload/v1beta/files`, {
    method: "POST",
    headers: {
      "x-goog-api-key": server.key,
      "content-type": "application/json",
      "x-goog-upload-protocol": "resumable",
      "x-goog-upload-command": "start",
    },
    body: JSON.stringify(
      respellIf(spell, {
        file: { displayName, mimeType: "application/jsonl", sizeBytes: String(Buffer.byteLength(text)) },
      }),
    ),
  });
  expect(start.status, await start.clone().text()).toBe(200);
  const url = new URL(start.headers.get("x-goog-upload-url")!);
  const query = spell.query(Object.fromEntries(url.searchParams));
  const done = await fetch(`${server.url}${url.pathname}${query}`, {
    method: "POST",
    headers: { "x-goog-api-key": server.key, "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" },
    body: text,
  });
  expect(done.status, await done.clone().text()).toBe(200);
  return ((await done.json()) as { file: { name: string } }).file.name;
}

/** The upload start body is not in the OpenAPI document (its route reads raw bytes), so it is respelled by name. */
function respellIf(spell: Spelling, value: { file: Record<string, string> }): object {
  return { file: Object.fromEntries(Object.entries(value.file).map(([k, v]) => [spell.name(k), v])) };
}

const jsonl = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ key: `k${i}`, request: { contents: [{ parts: [{ text: `q${i}` }] }] } }),
  ).join("\n");

/** Keys chosen to look like both spellings: a free-form map must keep them exactly. */
const FREE_FORM = { Some_Key: 1, otherKey: { inner_key: "v", innerKey: "w" } };

interface SpellingCase {
  run(spell: Spelling): Promise<unknown>;
  expected: unknown;
}

const cases: Record<string, SpellingCase> = {
  "POST /v1/webhooks": {
    run: async (spell) => {
      const body = spell.body("POST /v1/webhooks", {
        uri: receiver.url,
        subscribed_events: ["export.*", "batch.succeeded"],
        signing_scheme: "v1a",
      });
      const got = await call("GET", `/v1/webhooks/${(await call("POST", "/v1/webhooks", body)).id}`);
      return { subscribed_events: got.subscribed_events, signing_scheme: got.signing_scheme };
    },
    expected: { subscribed_events: ["export.*", "batch.succeeded"], signing_scheme: "v1a" },
  },
  "GET /v1/eventTypes": {
    run: (spell) => twoPages("GET /v1/eventTypes", "/v1/eventTypes", spell, "event_types"),
    expected: [1, 1, true],
  },
  "POST /v1/portalLinks": {
    run: async (spell) => {
      const created = await call(
        "POST",
        "/v1/portalLinks",
        spell.body("POST /v1/portalLinks", { ttl: "120s", read_only: true }),
      );
      return {
        read_only: created.read_only,
        ttl_ms: Date.parse(created.expire_time) - Date.parse(created.create_time),
      };
    },
    expected: { read_only: true, ttl_ms: 120_000 },
  },
  "GET /v1/portalLinks": {
    run: async (spell) => {
      await call("POST", "/v1/portalLinks", {});
      await call("POST", "/v1/portalLinks", {});
      return twoPages("GET /v1/portalLinks", "/v1/portalLinks", spell, "portal_links");
    },
    expected: [1, 1, true],
  },
  "GET /v1/webhooks": {
    run: async (spell) => {
      await createWebhook(spell);
      await createWebhook(spell);
      return twoPages("GET /v1/webhooks", "/v1/webhooks", spell, "webhooks");
    },
    expected: [1, 1, true],
  },
  "PATCH /v1/webhooks/{id}": {
    run: async (spell) => {
      const id = await createWebhook(spell);
      const body = spell.body("PATCH /v1/webhooks/{id}", {
        name: "not in the mask",
        subscribed_events: ["video.generated"],
      });
      await call("PATCH", `/v1/webhooks/${id}${spell.query({ update_mask: spell.name("subscribed_events") })}`, body);
      const got = await call("GET", `/v1/webhooks/${id}`);
      return { name: got.name, subscribed_events: got.subscribed_events };
    },
    expected: { name: "", subscribed_events: ["video.generated"] },
  },
  "PATCH /v1/projects/{id}": {
    run: async (spell) => {
      const path = `/v1/projects/${server.projectId}`;
      await call("PATCH", `${path}?update_mask=retention`, { retention: "3600s" }, ADMIN_KEY);
      // An empty body under the mask clears the field; were the mask's name ignored, the body alone would change
      // nothing.
      const got = await call("PATCH", `${path}${spell.query({ update_mask: "retention" })}`, {}, ADMIN_KEY);
      return got.retention ?? "the server's default";
    },
    expected: "the server's default",
  },
  "POST /v1/webhooks/{id}:rotateSigningSecret": {
    run: async (spell) => {
      const id = await createWebhook(spell);
      await call(
        "POST",
        `/v1/webhooks/${id}:rotateSigningSecret`,
        spell.body("POST /v1/webhooks/{id}:rotateSigningSecret", {
          revocation_behavior: "revoke_previous_secrets_immediately",
        }),
      );
      // The default behaviour keeps the old secret for 24 h: two would show.
      return (await call("GET", `/v1/webhooks/${id}`)).signing_secrets.length;
    },
    expected: 1,
  },
  "GET /v1/webhooks/{id}/deliveries": {
    run: async (spell) => {
      const id = await createWebhook(spell);
      await call("POST", `/v1/webhooks/${id}:ping`, {});
      await call("POST", `/v1/webhooks/${id}:ping`, {});
      return twoPages("GET /v1/webhooks/{id}/deliveries", `/v1/webhooks/${id}/deliveries`, spell, "deliveries");
    },
    expected: [1, 1, true],
  },
  "POST /v1/operations": {
    run: async (spell) => {
      const expireTime = "2099-01-02T03:04:05.000Z";
      const created = await call(
        "POST",
        "/v1/operations",
        spell.body("POST /v1/operations", {
          type: "contract",
          metadata: FREE_FORM,
          expire_time: expireTime,
          webhook_config: { uris: [receiver.url], user_metadata: FREE_FORM },
        }),
      );
      const op = await call("GET", `/v1/${created.name}`);
      await call("POST", `/v1/${created.name}:complete`, {});
      const event = await eventOf(created.name);
      return {
        expireTime: op.metadata.expireTime === expireTime,
        metadata: { Some_Key: op.metadata.Some_Key, otherKey: op.metadata.otherKey },
        toTheRequestsOwnUri: event.deliveries.map(
          (d: { uri: string; webhook_id?: string }) => d.uri === receiver.url && d.webhook_id === undefined,
        ),
        user_metadata: event.payload.data.user_metadata,
      };
    },
    expected: { expireTime: true, metadata: FREE_FORM, toTheRequestsOwnUri: [true], user_metadata: FREE_FORM },
  },
  "GET /v1/operations": {
    run: async (spell) => {
      await call("POST", "/v1/operations", { type: "listed" });
      await call("POST", "/v1/operations", { type: "listed" });
      return twoPages("GET /v1/operations", "/v1/operations", spell, "operations");
    },
    expected: [1, 1, true],
  },
  "POST /v1/operations/{id}:complete": {
    run: async (spell) => {
      const { name } = await call("POST", "/v1/operations", { type: "contract" });
      await call(
        "POST",
        `/v1/${name}:complete`,
        spell.body("POST /v1/operations/{id}:complete", { output_file_uri: "files/result", response: FREE_FORM }),
      );
      const op = await call("GET", `/v1/${name}`);
      return { response: op.response, event: (await eventOf(name)).payload.data.output_file_uri };
    },
    expected: { response: { ...FREE_FORM, outputFileUri: "files/result" }, event: "files/result" },
  },
  "POST /v1/events/{id}:redeliver": {
    run: async (spell) => {
      const type = `redeliver_${Math.random().toString(36).slice(2, 8)}`;
      const chosen = await createWebhook(spell, [`${type}.*`]);
      await createWebhook(spell, [`${type}.*`]);
      const { name } = await call("POST", "/v1/operations", { type });
      await call("POST", `/v1/${name}:complete`, {});
      const event = await eventOf(name);
      const { delivery_count } = await call(
        "POST",
        `/v1/events/${event.id}:redeliver`,
        spell.body("POST /v1/events/{id}:redeliver", { webhook_id: chosen }),
      );
      const after = await call("GET", `/v1/events/${event.id}`);
      return {
        delivery_count,
        toChosen: after.deliveries.filter((d: { webhook_id: string }) => d.webhook_id === chosen).length,
        total: after.deliveries.length,
      };
    },
    // Without webhook_id every target (two) would get one more.
    expected: { delivery_count: 1, toChosen: 2, total: 3 },
  },
  "GET /v1/events": {
    run: async (spell) => {
      const id = await createWebhook(spell);
      await call("POST", `/v1/webhooks/${id}:ping`, {});
      await call("POST", `/v1/webhooks/${id}:ping`, {});
      return twoPages("GET /v1/events", "/v1/events", spell, "events");
    },
    expected: [1, 1, true],
  },
  "POST /v1/projects": {
    run: async (spell) =>
      (await call("POST", "/v1/projects", spell.body("POST /v1/projects", { display_name: "Acme" }), ADMIN_KEY))
        .display_name,
    expected: "Acme",
  },
  "GET /v1/projects/{id}/apiKeys": {
    run: async (spell) => {
      await call("POST", `/v1/projects/${server.projectId}/apiKeys`, {}, ADMIN_KEY);
      return twoPages(
        "GET /v1/projects/{id}/apiKeys",
        `/v1/projects/${server.projectId}/apiKeys`,
        spell,
        "api_keys",
        ADMIN_KEY,
      );
    },
    expected: [1, 1, true],
  },
  "POST /upload/v1/files": {
    run: async (spell) => {
      const name = await upload(spell, jsonl(1), "spelled upload");
      const file = await call("GET", `/v1/${name}`);
      return { displayName: file.displayName, mimeType: file.mimeType, sizeBytes: file.sizeBytes };
    },
    expected: {
      displayName: "spelled upload",
      mimeType: "application/jsonl",
      sizeBytes: String(Buffer.byteLength(jsonl(1))),
    },
  },
  "GET /v1/files": {
    run: async (spell) => {
      await upload(asDeclared, jsonl(1), "a");
      await upload(asDeclared, jsonl(1), "b");
      return twoPages("GET /v1/files", "/v1/files", spell, "files");
    },
    expected: [1, 1, true],
  },
  "POST /v1/models/{id}:batchGenerateContent": {
    run: async (spell) => {
      const fileName = await upload(asDeclared, jsonl(2), "batch input");
      const created = await call(
        "POST",
        "/v1/models/gemini-2.5-flash:batchGenerateContent",
        spell.body("POST /v1/models/{id}:batchGenerateContent", {
          batch: {
            displayName: "spelled batch",
            inputConfig: { fileName },
            webhookConfig: { uris: [receiver.url], userMetadata: FREE_FORM },
          },
        }),
      );
      await waitUntil(async () => (await call("GET", `/v1/${created.name}`)).done, 20_000, "the batch to end");
      const batch = await call("GET", `/v1/${created.name}`);
      const event = await eventOf(created.name);
      return {
        displayName: batch.metadata.displayName,
        fromTheFile:
          batch.metadata.inputConfig?.fileName === fileName && batch.metadata.batchStats.requestCount === "2",
        toTheRequestsOwnUri: event.deliveries.map(
          (d: { uri: string; webhook_id?: string }) => d.uri === receiver.url && d.webhook_id === undefined,
        ),
        user_metadata: event.payload.data.user_metadata,
      };
    },
    expected: {
      displayName: "spelled batch",
      fromTheFile: true,
      toTheRequestsOwnUri: [true],
      user_metadata: FREE_FORM,
    },
  },
  "GET /v1/batches": {
    run: async (spell) => {
      const inline = {
        batch: { inputConfig: { requests: { requests: [{ request: { contents: [{ parts: [{ text: "x" }] }] } }] } } },
      };
      await call("POST", "/v1/models/m:batchGenerateContent", inline);
      await call("POST", "/v1/models/m:batchGenerateContent", inline);
      return twoPages("GET /v1/batches", "/v1/batches", spell, "operations");
    },
    expected: [1, 1, true],
  },
  "GET /v1/models": {
    run: (spell) => twoPages("GET /v1/models", "/v1/models", spell, "models"),
    expected: [1, 1, true],
  },
  "POST /v1/models/{id}:generateContent": {
    run: async (spell) => {
      const operation = "POST /v1/models/{id}:generateContent";
      const weather = {
        name: "get_weather",
        parameters: { type: "OBJECT", properties: { city_name: { type: "STRING" } }, required: ["city_name"] },
      };
      const tools = await call(
        "POST",
        "/v1/models/m:generateContent",
        spell.body(operation, {
          systemInstruction: { parts: [{ text: "s".repeat(400) }] },
          contents: [{ role: "user", parts: [{ text: "the forecast, city_name=Paris" }] }],
          // `other_tool` comes first: only allowedFunctionNames and mode ANY make it call get_weather.
          tools: [{ functionDeclarations: [{ name: "other_tool" }, weather] }],
          toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } },
          generationConfig: { candidateCount: 2 },
        }),
      );
      const json = await call(
        "POST",
        "/v1/models/m:generateContent",
        spell.body(operation, {
          contents: [{ parts: [{ text: "hello" }] }],
          generationConfig: { responseMimeType: "application/json", maxOutputTokens: 3 },
        }),
      );
      return {
        candidates: tools.candidates.length,
        call: tools.candidates[0].content.parts[0].functionCall,
        systemInstructionCounted: tools.usageMetadata.promptTokenCount > 100,
        finishReason: json.candidates[0].finishReason,
        json: json.candidates[0].content.parts[0].text.startsWith("{"),
      };
    },
    expected: {
      candidates: 2,
      call: { id: expect.any(String), name: "get_weather", args: { city_name: "Paris" } },
      systemInstructionCounted: true,
      finishReason: "MAX_TOKENS",
      json: true,
    },
  },
  "POST /v1/interactions": {
    run: async (spell) => {
      const operation = "POST /v1/interactions";
      const tools = [
        {
          type: "function",
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      ];
      const paused = await call("POST", "/v1/interactions", {
        model: "m",
        input: "Use get_weather with city: Oslo",
        tools,
        background: true,
      });
      await waitUntil(
        async () => (await call("GET", `/v1/interactions/${paused.id}`)).status === "requires_action",
        20_000,
        "the interaction to pause",
      );
      const callId = (await call("GET", `/v1/interactions/${paused.id}`)).steps.at(-1).id;
      const resumed = await call(
        "POST",
        "/v1/interactions",
        spell.body(operation, {
          model: "m",
          previous_interaction_id: paused.id,
          // `input` is read by its items' types, not by the schema: its names are respelled here.
          input: [
            {
              type: "function_result",
              [spell.name("call_id")]: callId,
              [spell.name("is_error")]: false,
              result: FREE_FORM,
            },
          ],
          system_instruction: "Be brief.",
          generation_config: { max_output_tokens: 50, top_p: 0.5 },
          background: true,
          webhook_config: { uris: [receiver.url], user_metadata: FREE_FORM },
        }),
      );
      await waitUntil(
        async () => (await call("GET", `/v1/interactions/${resumed.id}`)).status === "completed",
        20_000,
        "the interaction to complete",
      );
      const done = await call("GET", `/v1/interactions/${resumed.id}`);
      const event = await eventOf(`interactions/${resumed.id}`);
      return {
        continues: done.previous_interaction_id === paused.id,
        system_instruction: done.system_instruction,
        generation_config: done.generation_config,
        output: done.steps.at(-1).content[0].text,
        toTheRequestsOwnUri: event.deliveries.map(
          (d: { uri: string; webhook_id?: string }) => d.uri === receiver.url && d.webhook_id === undefined,
        ),
        user_metadata: event.payload.data.user_metadata,
      };
    },
    expected: {
      continues: true,
      system_instruction: "Be brief.",
      generation_config: { max_output_tokens: 50, top_p: 0.5 },
      output: `[local:m] get_weather returned ${JSON.stringify(FREE_FORM)}`,
      toTheRequestsOwnUri: [true],
      user_metadata: FREE_FORM,
    },
  },
  "GET /v1/interactions/{id}": {
    run: async (spell) => {
      const { id } = await call("POST", "/v1/interactions", { model: "m", input: "hello" });
      const res = await fetch(
        `${server.url}/v1/interactions/${id}${spell.query({ stream: "true", last_event_id: "evt_2", include_input: "true" })}`,
        {
          headers: { "x-goog-api-key": server.key },
        },
      );
      const events = (await res.text()).split("\n\n").filter((e) => e.startsWith("event:"));
      // Resumed after evt_2: the step events and the end, not the created and status events again.
      return events.map((e) => /^event: (\S+)\nid: (\S+)/.exec(e)?.slice(1).join(" "));
    },
    expected: ["step.start evt_3", "step.delta evt_4", "step.stop evt_5", "interaction.completed evt_6"],
  },
  "POST /v1/models/{id}:predictLongRunning": {
    run: async (spell) => {
      const started = await call(
        "POST",
        "/v1/models/veo-3.0-generate-001:predictLongRunning",
        spell.body("POST /v1/models/{id}:predictLongRunning", {
          instances: [{ prompt: "a tall tower" }],
          parameters: { durationSeconds: 1, aspectRatio: "9:16", negativePrompt: "blur" },
          webhookConfig: { uris: [receiver.url], userMetadata: FREE_FORM },
        }),
      );
      await waitUntil(async () => (await call("GET", `/v1/${started.name}`)).done, 30_000, "the video");
      const done = await call("GET", `/v1/${started.name}`);
      const uri = done.response.generateVideoResponse.generatedSamples[0].video.uri;
      const clip = await decodeMp4(
        new Uint8Array(await (await fetch(uri, { headers: { "x-goog-api-key": server.key } })).arrayBuffer()),
      );
      const event = await eventOf(started.name);
      return {
        portrait: clip.height > clip.width,
        frames: clip.frames.length,
        toTheRequestsOwnUri: event.deliveries.map(
          (d: { uri: string; webhook_id?: string }) => d.uri === receiver.url && d.webhook_id === undefined,
        ),
        user_metadata: event.payload.data.user_metadata,
      };
    },
    // One second at 12 frames a second, upright: the duration and the aspect ratio both took effect.
    expected: { portrait: true, frames: 12, toTheRequestsOwnUri: [true], user_metadata: FREE_FORM },
  },
};

describe("every field in either proto3 JSON spelling", () => {
  it("has a case for each endpoint of /openapi.json with a field spelled two ways", () => {
    const twoWays = (name: string) => otherSpelling(name) !== name;
    const endpoints = [...operations.values()]
      .filter((op) => op.query.some(twoWays) || fieldsWhere(op.body, (_field, name) => twoWays(name)).length > 0)
      .map((op) => op.id);
    expect(endpoints.sort()).toEqual(Object.keys(cases).sort());
  });

  for (const [operation, { run, expected }] of Object.entries(cases)) {
    it(`${operation}: the other spelling does the same`, async () => {
      expect(await run(asDeclared)).toEqual(expected);
      expect(await run(respelled)).toEqual(expected);
    });
  }
});
