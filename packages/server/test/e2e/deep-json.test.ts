import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseJson, JsonTooDeepError } from "../../src/core/json.js";
import { startTidings, waitUntil, type TestServer, uploadJsonl } from "../helpers/tidings.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTidings();
});
afterAll(() => server.close());

/** `{"a":{"a":…}}` nested `depth` objects deep, as text: JSON.stringify of such a value would overflow. */
function deep(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
}

/** The body text with `placeholder` (a JSON string) replaced by a deeply nested value. */
function withDeep(body: unknown, depth = 10_000): string {
  return JSON.stringify(body).replace('"DEEP"', deep(depth));
}

function expectDepthRefusal(res: { status: number; body: any }) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.error.status).toBe("INVALID_ARGUMENT");
  expect(res.body.error.message).toContain(`${MAX_JSON_DEPTH} levels`);
  expect(res.body.error.details[0].fieldViolations[0].field).toBe("body");
}

describe("deeply nested JSON is refused at parse time with a 400 naming the limit", () => {
  it("in an operation's metadata", async () => {
    expectDepthRefusal(await server.api("POST", "/v1/operations", withDeep({ type: "export", metadata: "DEEP" })));
  });

  it("in webhook_config.user_metadata", async () => {
    expectDepthRefusal(
      await server.api(
        "POST",
        "/v1/operations",
        withDeep({ type: "export", webhook_config: { uris: ["https://example.com/h"], user_metadata: "DEEP" } }),
      ),
    );
  });

  it("in a :complete response", async () => {
    const op = await server.api("POST", "/v1/operations", { type: "export" });
    expectDepthRefusal(await server.api("POST", `/v1/${op.body.name}:complete`, withDeep({ response: "DEEP" })));
    // Still open: the refused body changed nothing.
    expect((await server.api("GET", `/v1/${op.body.name}`)).body.done).toBe(false);
  });

  it("in an inline batch request", async () => {
    const body = withDeep({
      batch: { inputConfig: { requests: { requests: [{ request: "DEEP", metadata: { key: "k" } }] } } },
    });
    expectDepthRefusal(await server.api("POST", "/v1/models/gemini-2.5-flash:batchGenerateContent", body));
  });

  it("in an upload's start body", async () => {
    const res = await fetch(`${server.url}/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": server.key,
        "content-type": "application/json",
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": "1",
        "x-goog-upload-header-content-type": "text/plain",
      },
      body: withDeep({ file: { displayName: "DEEP" } }),
    });
    expectDepthRefusal({ status: res.status, body: await res.json() });
  });

  it("in a line of a JSONL batch input: that line's error", async () => {
    const lines = [
      JSON.stringify({ key: "ok", request: { contents: [{ parts: [{ text: "hi" }] }] } }),
      `{"key":"deep","request":{"contents":[{"parts":[{"text":"x"}]}],"x":${deep(10_000)}}}`,
    ].join("\n");
    const fileName = await uploadJsonl(server, lines);
    const batch = await server.api("POST", "/v1/models/m:batchGenerateContent", {
      batch: { inputConfig: { fileName } },
    });
    expect(batch.status).toBe(200);
    await waitUntil(
      async () => (await server.api("GET", `/v1/${batch.body.name}`)).body.done === true,
      20_000,
      "the batch to end",
    );
    const done = await server.api("GET", `/v1/${batch.body.name}`);
    const out = await fetch(`${server.url}/download/v1/${done.body.response.responsesFile}:download?alt=media`, {
      headers: { "x-goog-api-key": server.key },
    });
    const results = (await out.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(results[0]).toMatchObject({ key: "ok", response: {} });
    expect(results[1]).toMatchObject({ key: "line-2", error: { code: 400, status: "INVALID_ARGUMENT" } });
    expect(results[1].error.message).toContain(`${MAX_JSON_DEPTH} levels`);
  });

  it("leaves the server healthy", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(
      (await server.api("POST", "/v1/operations", { type: "export", metadata: JSON.parse(deep(MAX_JSON_DEPTH - 1)) }))
        .status,
    ).toBe(200);
  });
});

describe("parseJson", () => {
  it("accepts the limit, refuses one level more, and ignores brackets inside strings", () => {
    expect(parseJson(deep(MAX_JSON_DEPTH))).toBeTypeOf("object");
    expect(() => parseJson(deep(MAX_JSON_DEPTH + 1))).toThrow(JsonTooDeepError);
    expect(() => parseJson("[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1))).toThrow(JsonTooDeepError);
    expect(parseJson(JSON.stringify({ s: '[[[[{{{{\\"'.repeat(100) }))).toEqual({ s: '[[[[{{{{\\"'.repeat(100) });
    expect(() => parseJson("{")).toThrow(SyntaxError);
  });
});
