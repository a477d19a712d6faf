/**
 * The event catalogue: GET /v1/eventTypes and /v1/eventTypes/{name}. Every delivery of the e2e tier is also
 * validated against these schemas (helpers/catalogue-setup.ts); this file checks the catalogue itself and that
 * the check catches what it should.
 */
import { BUILT_IN_EVENT_TYPES } from "@tidings/sdk";
import { EVENT_TYPE_CATALOGUE } from "@tidings/sdk/contract";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventPayloadProblem } from "../helpers/event-schemas.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { completeOperation, registerWebhook, startTidings, type TestServer } from "../helpers/tidings.js";

let server: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  server = await startTidings();
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

interface Entry {
  name: string;
  description: string;
  schema: Record<string, unknown> & { properties: Record<string, unknown> };
}

describe("GET /v1/eventTypes", () => {
  it("lists every type Tidings sends, the custom family included, each with a description and a draft 2020-12 schema", async () => {
    const res = await server.api<{ event_types: Entry[]; next_page_token?: string }>("GET", "/v1/eventTypes");
    expect(res.status).toBe(200);
    const names = res.body.event_types.map((t) => t.name);
    // The seed's types and every one added since, webhook.ping and webhook.disabled among them.
    for (const type of BUILT_IN_EVENT_TYPES) expect(names).toContain(type);
    expect(names).toEqual(
      expect.arrayContaining([
        "webhook.ping",
        "webhook.disabled",
        "{type}.succeeded",
        "{type}.failed",
        "{type}.cancelled",
        "{type}.expired",
      ]),
    );
    expect(names).toHaveLength(BUILT_IN_EVENT_TYPES.length + 4);
    expect(res.body.next_page_token).toBeUndefined();
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    for (const entry of res.body.event_types) {
      expect(entry.description, entry.name).not.toBe("");
      expect(entry.schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(() => ajv.compile(entry.schema), entry.name).not.toThrow();
      expect(Object.keys(entry.schema.properties).sort()).toEqual(["data", "timestamp", "type", "version"]);
    }
    // Served as the SDK's contract defines them: one source for both.
    expect(res.body.event_types).toEqual(JSON.parse(JSON.stringify(EVENT_TYPE_CATALOGUE)));
  });

  it("pages like every list", async () => {
    const first = await server.api("GET", "/v1/eventTypes?page_size=10");
    expect(first.body.event_types).toHaveLength(10);
    const rest = await server.api("GET", `/v1/eventTypes?page_size=10&page_token=${first.body.next_page_token}`);
    expect(rest.body.event_types).toHaveLength(BUILT_IN_EVENT_TYPES.length + 4 - 10);
    expect(rest.body.next_page_token).toBeUndefined();
  });

  it("answers one type by name: built-in, a custom family, or a custom operation's own type", async () => {
    const batch = await server.api<Entry>("GET", "/v1/eventTypes/batch.succeeded");
    expect(batch.status).toBe(200);
    expect(batch.body.schema.properties.data).toMatchObject({
      required: expect.arrayContaining(["id", "output_file_uri"]),
    });
    const family = await server.api<Entry>("GET", `/v1/eventTypes/${encodeURIComponent("{type}.failed")}`);
    expect(family.body.name).toBe("{type}.failed");
    const exported = await server.api<Entry>("GET", "/v1/eventTypes/export.succeeded");
    expect(exported.body).toMatchObject({ name: "export.succeeded", description: expect.stringContaining("export") });
    expect(exported.body.schema.properties.type).toEqual({ type: "string", const: "export.succeeded" });

    // A real delivery validates against it; another custom type's does not.
    await registerWebhook(server, receiver.url, ["export.*", "render.*"]);
    await completeOperation(server, "export", { output_file_uri: "files/report" });
    await completeOperation(server, "render", {});
    const bodies = (await receiver.waitFor(2)).map((r) => JSON.parse(r.body) as { type: string });
    const validate = new Ajv2020({ strict: true, validateFormats: false }).compile(exported.body.schema);
    expect(bodies.map((b) => [b.type, validate(b)]).sort()).toEqual([
      ["export.succeeded", true],
      ["render.succeeded", false],
    ]);

    for (const unknown of ["batch.done", "webhook.succeeded", "nope"]) {
      const res = await server.api("GET", `/v1/eventTypes/${unknown}`);
      expect(res.status, unknown).toBe(404);
      expect(res.body.error.status).toBe("NOT_FOUND");
    }
  });
});

describe("the delivery check every e2e test runs", () => {
  const valid = {
    type: "batch.succeeded",
    version: "v1",
    timestamp: "2026-05-04T12:00:00.000Z",
    data: { id: "batches/b1", output_file_uri: "files/o" },
  };

  it("accepts a payload as the catalogue describes it, and refuses one field more, one field less, or an unknown type", () => {
    expect(eventPayloadProblem(JSON.stringify(valid))).toBeUndefined();
    expect(
      eventPayloadProblem(JSON.stringify({ ...valid, data: { ...valid.data, user_metadata: { run: 7 } } })),
    ).toBeUndefined();
    expect(eventPayloadProblem(JSON.stringify({ ...valid, data: { ...valid.data, undocumented: 1 } }))).toMatch(
      /additional properties/,
    );
    expect(eventPayloadProblem(JSON.stringify({ ...valid, data: { id: "batches/b1" } }))).toMatch(/output_file_uri/);
    expect(eventPayloadProblem(JSON.stringify({ ...valid, timestamp: "yesterday" }))).toMatch(/date-time/);
    expect(eventPayloadProblem(JSON.stringify({ ...valid, type: "batch.done" }))).toMatch(/not in the event catalogue/);
    expect(eventPayloadProblem("not json")).toMatch(/not JSON/);
  });
});
