import { afterEach, describe, expect, it } from "vitest";
import { OpenAiProvider } from "../../../src/providers/openai.js";
import { ProviderError, type GenerateContentRequest } from "../../../src/providers/provider.js";
import { generateWithRetry } from "../../../src/providers/retry.js";
import { chatReply, startUpstream, type Upstream, type UpstreamReply } from "../../helpers/upstream.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup(
  reply: (n: number) => UpstreamReply,
  options: { apiKey?: string; timeoutMs?: number } = {},
): Promise<{ upstream: Upstream; provider: OpenAiProvider }> {
  const upstream = await startUpstream(reply);
  const provider = new OpenAiProvider({
    baseUrl: `${upstream.origin}/v1/`,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 5_000,
  });
  open.push(provider, upstream);
  return { upstream, provider };
}

const hello: GenerateContentRequest = { contents: [{ role: "user", parts: [{ text: "hello" }] }] };
/** Records waits instead of sleeping, so retry tests take no time and can check the delays. */
const recordSleep = (delays: number[]) => async (ms: number) => (delays.push(ms), true);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a ProviderError"),
    (e: unknown) => e as ProviderError,
  );

describe("openai provider: request translation", () => {
  it("sends a chat-completions request: path, headers, messages, config, tools", async () => {
    const { upstream, provider } = await setup(() => ({ json: chatReply("ok") }), { apiKey: "sk-test" });
    await provider.generateContent("qwen2.5-7b", {
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [
        { role: "user", parts: [{ text: "Weather in Paris?" }, { text: "Celsius please." }] },
        {
          role: "model",
          parts: [{ text: "Checking." }, { functionCall: { name: "get_weather", args: { city: "Paris" } } }],
        },
        {
          role: "user",
          parts: [{ functionResponse: { name: "get_weather", response: { temp: 21 } } }, { text: "And tomorrow?" }],
        },
      ],
      generationConfig: {
        maxOutputTokens: 64,
        temperature: 0.2,
        topP: 0.9,
        stopSequences: ["END"],
        seed: 7,
        responseMimeType: "application/json",
      },
      tools: [
        {
          functionDeclarations: [
            {
              name: "get_weather",
              description: "Weather now",
              parameters: {
                type: "OBJECT",
                properties: { city: { type: "STRING", nullable: true }, days: { type: "INTEGER", minimum: 1 } },
                required: ["city"],
              },
            },
            { name: "no_params" },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } },
    });
    const [req] = upstream.requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/v1/chat/completions");
    expect(req?.headers.authorization).toBe("Bearer sk-test");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.body).toEqual({
      model: "qwen2.5-7b",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?\nCelsius please." },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "call_1_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1_1", content: '{"temp":21}' },
        { role: "user", content: "And tomorrow?" },
      ],
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["END"],
      seed: 7,
      response_format: { type: "json_object" },
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Weather now",
            parameters: {
              type: "object",
              properties: { city: { type: ["string", "null"] }, days: { type: "integer", minimum: 1 } },
              required: ["city"],
            },
          },
        },
        { type: "function", function: { name: "no_params", parameters: { type: "object", properties: {} } } },
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
  });

  it("keeps Gemini's call ids, sends no Authorization without a key, and refuses what it cannot express", async () => {
    const { upstream, provider } = await setup(() => ({ json: chatReply("ok") }));
    await provider.generateContent("m", {
      contents: [
        { role: "user", parts: [{ text: "go" }] },
        { role: "model", parts: [{ functionCall: { id: "abc", name: "f" } }] },
        { role: "user", parts: [{ functionResponse: { id: "abc", name: "f", response: { ok: true } } }] },
      ],
    });
    expect(upstream.requests[0]?.headers.authorization).toBeUndefined();
    expect(upstream.requests[0]?.body.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "abc", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "abc", content: '{"ok":true}' },
    ]);
    const err = await failure(
      provider.generateContent("m", { contents: [{ parts: [{ fileData: { fileUri: "files/x" } }] }] }),
    );
    expect(err).toMatchObject({ status: 400, code: "INVALID_ARGUMENT", retryable: false });
    expect(err.message).toContain("contents[0].parts[0].fileData");
    expect(upstream.requests).toHaveLength(1);
  });
});

describe("openai provider: reply translation", () => {
  it("maps text, tool calls, finish reasons and usage to the Gemini shape", async () => {
    const { provider } = await setup(() => ({
      json: {
        id: "chatcmpl-9",
        model: "served-model",
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: "Let me check.",
              tool_calls: [
                { id: "call_x", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
              ],
            },
            finish_reason: "tool_calls",
          },
        ],
        usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 },
      },
    }));
    expect(await provider.generateContent("m", hello)).toEqual({
      candidates: [
        {
          content: {
            role: "model",
            parts: [
              { text: "Let me check." },
              { functionCall: { id: "call_x", name: "get_weather", args: { city: "Oslo" } } },
            ],
          },
          finishReason: "STOP",
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 5, totalTokenCount: 16 },
      modelVersion: "served-model",
      responseId: "chatcmpl-9",
    });
  });

  it("maps length to MAX_TOKENS and unparsable tool arguments to MALFORMED_FUNCTION_CALL", async () => {
    const { provider } = await setup((n) =>
      n === 0
        ? { json: { choices: [{ message: { content: "cut" }, finish_reason: "length" }] } }
        : {
            json: {
              choices: [
                {
                  message: {
                    content: null,
                    tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{not json" } }],
                  },
                  finish_reason: "tool_calls",
                },
              ],
            },
          },
    );
    const cut = await provider.generateContent("m", hello);
    expect(cut.candidates?.[0]).toMatchObject({ finishReason: "MAX_TOKENS", content: { parts: [{ text: "cut" }] } });
    expect(cut.modelVersion).toBe("m");
    expect(cut.usageMetadata).toBeUndefined();
    const bad = await provider.generateContent("m", hello);
    expect(bad.candidates?.[0]).toEqual({
      content: { role: "model", parts: [] },
      finishReason: "MALFORMED_FUNCTION_CALL",
      index: 0,
    });
  });
});

describe("openai provider: failures", () => {
  it("retries a 429, waiting what Retry-After asks, then succeeds", async () => {
    const { upstream, provider } = await setup((n) =>
      n === 0
        ? { status: 429, headers: { "retry-after": "2" }, json: { error: { message: "slow down" } } }
        : { json: chatReply("finally") },
    );
    const delays: number[] = [];
    const reply = await generateWithRetry(provider, "m", hello, { sleep: recordSleep(delays) });
    expect(reply.candidates?.[0]?.content.parts).toEqual([{ text: "finally" }]);
    expect(delays).toEqual([2000]);
    expect(upstream.requests).toHaveLength(2);
  });

  it("gives up on a server that always answers 500 after maxAttempts, with a retryable error", async () => {
    const { upstream, provider } = await setup(() => ({
      status: 500,
      json: { error: { message: "CUDA out of memory" } },
    }));
    const delays: number[] = [];
    const err = await failure(
      generateWithRetry(provider, "m", hello, {
        maxAttempts: 3,
        baseDelayMs: 100,
        random: () => 0,
        sleep: recordSleep(delays),
      }),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ status: 503, code: "UNAVAILABLE", retryable: true });
    expect(err.message).toContain("HTTP 500");
    expect(err.message).toContain("CUDA out of memory");
    expect(err.message).toContain("gave up after 3 attempts");
    expect(delays).toEqual([50, 100]); // exponential, jitter pinned to its low end
    expect(upstream.requests).toHaveLength(3);
  });

  it("reports malformed replies clearly and does not retry them", async () => {
    const { upstream, provider } = await setup(
      (n) =>
        [
          { raw: "<html>gateway</html>" },
          { json: { object: "chat.completion" } },
          { json: { choices: [] } },
          { json: { choices: [{ finish_reason: "stop" }] } },
        ][n] ?? { json: {} },
    );
    const notJson = await failure(generateWithRetry(provider, "m", hello, { sleep: recordSleep([]) }));
    expect(notJson).toMatchObject({ status: 502, code: "INTERNAL", retryable: false });
    expect(notJson.message).toMatch(/malformed reply: HTTP 200 with a body that is not JSON \(<html>gateway<\/html>\)/);
    expect(upstream.requests).toHaveLength(1);
    expect((await failure(provider.generateContent("m", hello))).message).toContain("no choices array");
    expect((await failure(provider.generateContent("m", hello))).message).toContain("choices array is empty");
    expect((await failure(provider.generateContent("m", hello))).message).toContain("choices[0] has no message object");
  });

  it("times out a server that does not answer, as a retryable DEADLINE_EXCEEDED", async () => {
    const { provider } = await setup(() => "hang", { timeoutMs: 200 });
    const started = Date.now();
    const err = await failure(provider.generateContent("m", hello));
    expect(err).toMatchObject({ status: 504, code: "DEADLINE_EXCEEDED", retryable: true });
    expect(err.message).toContain("200 ms");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("reports an unreachable server as retryable UNAVAILABLE, and stops when the caller aborts", async () => {
    const { upstream, provider } = await setup(() => "hang");
    await upstream.close();
    const down = await failure(provider.generateContent("m", hello));
    expect(down).toMatchObject({ status: 503, code: "UNAVAILABLE", retryable: true });
    expect(down.message).toMatch(/could not reach the openai provider \(.*ECONNREFUSED/);

    const { provider: hanging } = await setup(() => "hang");
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    expect(await failure(generateWithRetry(hanging, "m", hello, { signal: abort.signal }))).toMatchObject({
      code: "CANCELLED",
      retryable: false,
    });
  });

  it("does not retry 4xx; a refused key points at TIDINGS_PROVIDER_API_KEY", async () => {
    const { upstream, provider } = await setup((n) =>
      n === 0
        ? { status: 401, json: { error: { message: "Incorrect API key" } } }
        : { status: 400, json: { error: { message: "max_tokens too large" } } },
    );
    const auth = await failure(generateWithRetry(provider, "m", hello));
    expect(auth).toMatchObject({ status: 502, retryable: false });
    expect(auth.message).toContain("TIDINGS_PROVIDER_API_KEY");
    const bad = await failure(generateWithRetry(provider, "m", hello));
    expect(bad).toMatchObject({ status: 400, code: "INVALID_ARGUMENT", retryable: false });
    expect(bad.message).toContain("max_tokens too large");
    expect(upstream.requests).toHaveLength(2);
  });
});
