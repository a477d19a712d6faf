import { afterEach, describe, expect, it } from "vitest";
import { GeminiProvider } from "../../../src/providers/gemini.js";
import type { ProviderError, GenerateContentRequest } from "../../../src/providers/provider.js";
import { generateWithRetry } from "../../../src/providers/retry.js";
import { startUpstream, type Upstream, type UpstreamReply } from "../../helpers/upstream.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup(
  reply: (n: number) => UpstreamReply,
  timeoutMs = 5_000,
): Promise<{ upstream: Upstream; provider: GeminiProvider }> {
  const upstream = await startUpstream(reply);
  const provider = new GeminiProvider({ baseUrl: upstream.origin, apiKey: "AIza-test", timeoutMs });
  open.push(provider, upstream);
  return { upstream, provider };
}

const geminiReply = (text: string) => ({
  candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0, safetyRatings: [] }],
  usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 3, totalTokenCount: 5 },
  modelVersion: "gemini-2.5-flash-001",
  responseId: "r1",
});
const request: GenerateContentRequest = {
  contents: [{ role: "user", parts: [{ text: "hello" }] }],
  generationConfig: { temperature: 0.5, thinkingConfig: { thinkingBudget: 0 } },
  tools: [{ googleSearch: {} }],
  safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
};
const recordSleep = (delays: number[]) => async (ms: number) => (delays.push(ms), true);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a ProviderError"),
    (e: unknown) => e as ProviderError,
  );

describe("gemini provider", () => {
  it("forwards the request unchanged to :generateContent with x-goog-api-key and passes the reply through", async () => {
    const { upstream, provider } = await setup(() => ({ json: geminiReply("hi there") }));
    const reply = await provider.generateContent("gemini-2.5-flash", request);
    const [req] = upstream.requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(req?.headers["x-goog-api-key"]).toBe("AIza-test");
    expect(req?.headers.authorization).toBeUndefined();
    expect(req?.body).toEqual(request);
    expect(reply).toEqual(geminiReply("hi there"));
  });

  it("fills what Gemini leaves out: content of a blocked candidate, index, modelVersion; accepts a blocked prompt", async () => {
    const { provider } = await setup((n) =>
      n === 0
        ? { json: { candidates: [{ finishReason: "SAFETY" }] } }
        : {
            json: {
              promptFeedback: { blockReason: "SAFETY" },
              usageMetadata: { promptTokenCount: 1, totalTokenCount: 1 },
            },
          },
    );
    expect(await provider.generateContent("gemini-2.5-pro", request)).toEqual({
      candidates: [{ content: { role: "model", parts: [] }, finishReason: "SAFETY", index: 0 }],
      modelVersion: "gemini-2.5-pro",
    });
    const blocked = await provider.generateContent("gemini-2.5-pro", request);
    expect(blocked.candidates).toBeUndefined();
    expect(blocked.promptFeedback).toEqual({ blockReason: "SAFETY" });
  });

  it("retries a 429 after its Retry-After, then succeeds", async () => {
    const { upstream, provider } = await setup((n) =>
      n === 0
        ? {
            status: 429,
            headers: { "retry-after": "3" },
            json: { error: { code: 429, message: "Quota exceeded", status: "RESOURCE_EXHAUSTED" } },
          }
        : { json: geminiReply("ok") },
    );
    const delays: number[] = [];
    const reply = await generateWithRetry(provider, "gemini-2.5-flash", request, { sleep: recordSleep(delays) });
    expect(reply.candidates?.[0]?.content.parts).toEqual([{ text: "ok" }]);
    expect(delays).toEqual([3000]);
    expect(upstream.requests).toHaveLength(2);
  });

  it("caps a long Retry-After at 30 s", async () => {
    const { provider } = await setup((n) =>
      n === 0 ? { status: 503, headers: { "retry-after": "3600" } } : { json: geminiReply("ok") },
    );
    const delays: number[] = [];
    await generateWithRetry(provider, "m", request, { sleep: recordSleep(delays) });
    expect(delays).toEqual([30_000]);
  });

  it("gives up on 500 after maxAttempts with a retryable error carrying Google's message", async () => {
    const { upstream, provider } = await setup(() => ({
      status: 500,
      json: { error: { code: 500, message: "An internal error has occurred", status: "INTERNAL" } },
    }));
    const err = await failure(generateWithRetry(provider, "m", request, { maxAttempts: 2, sleep: recordSleep([]) }));
    expect(err).toMatchObject({ status: 503, code: "UNAVAILABLE", retryable: true });
    expect(err.message).toContain("An internal error has occurred");
    expect(err.message).toContain("gave up after 2 attempts");
    expect(upstream.requests).toHaveLength(2);
  });

  it("reports malformed replies as non-retryable", async () => {
    const { upstream, provider } = await setup(
      (n) =>
        [
          { raw: "not json" },
          { json: { usageMetadata: {} } },
          { json: { candidates: {} } },
          { json: { candidates: [{ content: { parts: "x" } }] } },
        ][n] ?? {
          json: {},
        },
    );
    const notJson = await failure(generateWithRetry(provider, "m", request, { sleep: recordSleep([]) }));
    expect(notJson).toMatchObject({ status: 502, code: "INTERNAL", retryable: false });
    expect(notJson.message).toContain("not JSON");
    expect(upstream.requests).toHaveLength(1);
    expect((await failure(provider.generateContent("m", request))).message).toContain(
      "neither candidates nor promptFeedback",
    );
    expect((await failure(provider.generateContent("m", request))).message).toContain("candidates is not an array");
    expect((await failure(provider.generateContent("m", request))).message).toContain(
      "candidates[0].content.parts is not an array",
    );
  });

  it("times out a silent server and maps a 400 to INVALID_ARGUMENT with Google's message", async () => {
    const { provider } = await setup(() => "hang", 150);
    expect(await failure(provider.generateContent("m", request))).toMatchObject({
      status: 504,
      code: "DEADLINE_EXCEEDED",
      retryable: true,
    });
    const { provider: strict } = await setup(() => ({
      status: 400,
      json: {
        error: {
          code: 400,
          message: "* GenerateContentRequest.contents: contents is not specified",
          status: "INVALID_ARGUMENT",
        },
      },
    }));
    const bad = await failure(strict.generateContent("m", request));
    expect(bad).toMatchObject({ status: 400, code: "INVALID_ARGUMENT", retryable: false });
    expect(bad.message).toContain("contents is not specified");
  });
});
