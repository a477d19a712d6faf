import { GoogleGenAI, Type } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localReplyText } from "../../src/providers/local.js";
import { startTidings, type TestServer } from "../helpers/tidings.js";
import { chatReply, startUpstream, type Upstream } from "../helpers/upstream.js";

let server: TestServer;
let ai: GoogleGenAI;
beforeAll(async () => {
  server = await startTidings();
  ai = new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });
});
afterAll(() => server.close());

const weather = {
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ["city"] },
};

describe("ai.models.generateContent against Tidings (local provider)", () => {
  it("returns the local provider's deterministic text", async () => {
    const response = await ai.models.generateContent({ model: "gemini-2.5-flash", contents: "hello" });
    expect(response.text).toBe(localReplyText("gemini-2.5-flash", "hello"));
    expect(response.candidates?.[0]?.finishReason).toBe("STOP");
    expect(response.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    expect(response.modelVersion).toBe("gemini-2.5-flash");
    const again = await ai.models.generateContent({ model: "gemini-2.5-flash", contents: "hello" });
    expect(again.text).toBe(response.text);
  });

  it("returns functionCalls when a declared function is asked for, and text once it has the result", async () => {
    const config = { tools: [{ functionDeclarations: [weather] }] };
    const first = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Call get_weather for city=Lisbon",
      config,
    });
    expect(first.functionCalls).toEqual([expect.objectContaining({ name: "get_weather", args: { city: "Lisbon" } })]);
    const call = first.functionCalls![0]!;

    const second = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: [
        { role: "user", parts: [{ text: "Call get_weather for city=Lisbon" }] },
        { role: "model", parts: [{ functionCall: call }] },
        {
          role: "user",
          parts: [{ functionResponse: { id: call.id, name: "get_weather", response: { output: "sunny, 24 C" } } }],
        },
      ],
      config,
    });
    expect(second.functionCalls).toBeUndefined();
    expect(second.text).toContain("sunny, 24 C");
  });

  it("answers bad input with a 400 google.rpc.Status naming the field", async () => {
    const noContents = await server.api("POST", "/v1beta/models/gemini-2.5-flash:generateContent", { contents: [] });
    expect(noContents.status).toBe(400);
    expect(noContents.body.error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
    expect(noContents.body.error.message).toMatch(/^contents: is required/);
    expect(noContents.body.error.details[0].fieldViolations[0].field).toBe("contents");

    const noBody = await server.api("POST", "/v1/models/gemini-2.5-flash:generateContent");
    expect(noBody.status).toBe(400);
    expect(noBody.body.error.message).toMatch(/^body: must be a JSON object such as/);
    const stringContents = await server.api("POST", "/v1/models/gemini-2.5-flash:generateContent", {
      contents: "hello",
    });
    expect(stringContents.body.error.message).toBe("contents: must be an array of Content objects");
    expect((await server.api("GET", "/v1/models/gemini-2.5-flash:generateContent")).status).toBe(404);

    const badRole = await server.api("POST", "/v1/models/gemini-2.5-flash:generateContent", {
      contents: [{ role: "robot", parts: [{ text: "x" }] }],
    });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.details[0].fieldViolations[0].field).toBe("contents[0].role");

    // through the client too: it surfaces the status and our message
    await expect(
      ai.models.generateContent({ model: "gemini-2.5-flash", contents: [{ role: "user", parts: [{}] }] }),
    ).rejects.toThrow(/contents\[0\]\.parts\[0\]: must have one of text/);

    const noKey = await server.api(
      "POST",
      "/v1/models/gemini-2.5-flash:generateContent",
      { contents: [{ parts: [{ text: "x" }] }] },
      null,
    );
    expect(noKey.status).toBe(401);
  });

  it("maps a simulated non-retryable provider failure to its status", async () => {
    const res = await server.api("POST", "/v1/models/gemini-2.5-flash:generateContent", {
      contents: [{ parts: [{ text: "[[fail:404]]" }] }],
    });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 404, status: "NOT_FOUND" });
    expect(res.body.error.message).toContain("local provider");
  });

  it("serves minimal Model resources", async () => {
    const model = await ai.models.get({ model: "gemini-2.5-flash" });
    expect(model).toMatchObject({
      name: "models/gemini-2.5-flash",
      displayName: "gemini-2.5-flash",
      supportedActions: expect.arrayContaining(["generateContent"]),
    });
    const names: string[] = [];
    for await (const m of await ai.models.list()) names.push(m.name ?? "");
    expect(names).toContain("models/gemini-2.5-flash");
  });
});

describe("ai.models.generateContent against Tidings (openai provider)", () => {
  let upstream: Upstream;
  let proxied: TestServer;
  beforeAll(async () => {
    upstream = await startUpstream((n, req) =>
      n === 0
        ? { json: chatReply(`echo: ${req.body.messages.at(-1).content}`) }
        : n <= 4
          ? { status: 429, headers: { "retry-after": "0" }, json: { error: { message: "rate limited by vllm" } } }
          : { json: { nonsense: true } },
    );
    proxied = await startTidings({
      env: {
        TIDINGS_PROVIDER: "openai",
        TIDINGS_PROVIDER_BASE_URL: `${upstream.origin}/v1`,
        TIDINGS_PROVIDER_API_KEY: "sk-local",
      },
    });
  });
  afterAll(async () => {
    await proxied.close();
    await upstream.close();
  });

  it("translates to chat completions and back", async () => {
    const client = new GoogleGenAI({ apiKey: proxied.key, httpOptions: { baseUrl: proxied.url } });
    const response = await client.models.generateContent({
      model: "llama-3.1-8b",
      contents: "hi vllm",
      config: { systemInstruction: "be terse", maxOutputTokens: 32 },
    });
    expect(response.text).toBe("echo: hi vllm");
    expect(response.usageMetadata).toMatchObject({ promptTokenCount: 7, candidatesTokenCount: 3, totalTokenCount: 10 });
    const [req] = upstream.requests;
    expect(req?.path).toBe("/v1/chat/completions");
    expect(req?.headers.authorization).toBe("Bearer sk-local");
    expect(req?.body).toEqual({
      model: "llama-3.1-8b",
      messages: [
        { role: "system", content: "be terse" },
        { role: "user", content: "hi vllm" },
      ],
      max_tokens: 32,
    });
  });

  it("answers 429 RESOURCE_EXHAUSTED when the upstream stays rate limited, and 502 for a malformed reply", async () => {
    const limited = await proxied.api("POST", "/v1/models/m:generateContent", {
      contents: [{ parts: [{ text: "x" }] }],
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED" });
    expect(limited.body.error.message).toContain("rate limited by vllm");
    expect(upstream.requests).toHaveLength(5); // 1 earlier + 4 attempts

    const malformed = await proxied.api("POST", "/v1/models/m:generateContent", {
      contents: [{ parts: [{ text: "x" }] }],
    });
    expect(malformed.status).toBe(502);
    expect(malformed.body.error.message).toContain("no choices array");
    expect(upstream.requests).toHaveLength(6);
  });

  it("answers 400 naming the field for what the provider cannot express, without calling it", async () => {
    const res = await proxied.api("POST", "/v1/models/m:generateContent", {
      contents: [{ parts: [{ fileData: { fileUri: "files/abc" } }] }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
    expect(res.body.error.details[0].fieldViolations[0]).toEqual({
      field: "contents[0].parts[0].fileData",
      description: "a file reference is not supported by the openai provider; send the data inline (inlineData)",
    });
    expect(upstream.requests).toHaveLength(6);
  });
});
