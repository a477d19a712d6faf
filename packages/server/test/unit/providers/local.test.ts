import { describe, expect, it } from "vitest";
import { LocalProvider, localReplyText } from "../../../src/providers/local.js";
import { ProviderError, type GenerateContentRequest } from "../../../src/providers/provider.js";
import { generateWithRetry } from "../../../src/providers/retry.js";

const ask = (text: string, extra: Partial<GenerateContentRequest> = {}): GenerateContentRequest => ({
  contents: [{ role: "user", parts: [{ text }] }],
  ...extra,
});

const weatherTool: GenerateContentRequest["tools"] = [
  {
    functionDeclarations: [
      { name: "get_time", description: "current time" },
      {
        name: "get_weather",
        parameters: {
          type: "OBJECT",
          properties: {
            city: { type: "STRING" },
            days: { type: "INTEGER" },
            unit: { type: "STRING", enum: ["celsius", "fahrenheit"] },
            note: { type: "STRING" },
          },
          required: ["city", "days", "unit"],
        },
      },
    ],
  },
];

describe("local provider", () => {
  const local = new LocalProvider({ delayMs: 0 });

  it("answers deterministically: same model and request, same reply; other text or model, other reply", async () => {
    const a = await local.generateContent("gemini-2.5-flash", ask("hello   there"));
    const b = await new LocalProvider({ delayMs: 0 }).generateContent("gemini-2.5-flash", ask("hello   there"));
    expect(a).toEqual(b);
    expect(a.candidates?.[0]).toMatchObject({
      content: { role: "model", parts: [{ text: localReplyText("gemini-2.5-flash", "hello   there") }] },
      finishReason: "STOP",
      index: 0,
    });
    expect(a.candidates?.[0]?.content.parts[0]?.text).toMatch(
      /^\[local:gemini-2\.5-flash\] echo: hello there #[0-9a-f]{8}$/,
    );
    expect(a.modelVersion).toBe("gemini-2.5-flash");
    const other = await local.generateContent("gemini-2.5-flash", ask("hello there!"));
    expect(other.candidates?.[0]?.content.parts[0]?.text).not.toBe(a.candidates?.[0]?.content.parts[0]?.text);
    const otherModel = await local.generateContent("my-model", ask("hello   there"));
    expect(otherModel.candidates?.[0]?.content.parts[0]?.text).toMatch(/^\[local:my-model\] /);
  });

  it("counts tokens from the text, about four characters each", async () => {
    const reply = await local.generateContent(
      "m",
      ask("x".repeat(40), { systemInstruction: { parts: [{ text: "y".repeat(8) }] } }),
    );
    const text = reply.candidates?.[0]?.content.parts[0]?.text ?? "";
    expect(reply.usageMetadata).toEqual({
      promptTokenCount: 12,
      candidatesTokenCount: Math.ceil(text.length / 4),
      totalTokenCount: 12 + Math.ceil(text.length / 4),
    });
  });

  it("truncates to maxOutputTokens with MAX_TOKENS and answers JSON when asked", async () => {
    const short = await local.generateContent(
      "m",
      ask("a long enough prompt", { generationConfig: { maxOutputTokens: 2 } }),
    );
    expect(short.candidates?.[0]).toMatchObject({
      finishReason: "MAX_TOKENS",
      content: { parts: [{ text: "[local:m" }] },
    }); // 2 tokens = 8 characters
    const json = await local.generateContent(
      "m",
      ask("hi", { generationConfig: { responseMimeType: "application/json" } }),
    );
    expect(JSON.parse(json.candidates?.[0]?.content.parts[0]?.text ?? "")).toMatchObject({ model: "m", echo: "hi" });
  });

  it("waits TIDINGS_LOCAL_DELAY_MS per request and stops waiting when the signal aborts", async () => {
    const slow = new LocalProvider({ delayMs: 150 });
    const started = Date.now();
    await slow.generateContent("m", ask("hi"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    const cutShort = Date.now();
    const err = await slow.generateContent("m", ask("hi"), abort.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: "CANCELLED", retryable: false });
    expect(Date.now() - cutShort).toBeLessThan(120);
  });

  it("calls a declared function the text names, with arguments from its required parameters", async () => {
    const reply = await local.generateContent(
      "m",
      ask("What is the weather? use get_weather with city=Paris", { tools: weatherTool }),
    );
    const part = reply.candidates?.[0]?.content.parts[0];
    expect(reply.candidates?.[0]?.finishReason).toBe("STOP");
    expect(part?.text).toBeUndefined();
    expect(part?.functionCall).toMatchObject({
      name: "get_weather",
      args: { city: "Paris", days: 1, unit: "celsius" },
    });
    expect(Object.keys(part?.functionCall?.args ?? {})).toEqual(["city", "days", "unit"]);
    expect(part?.functionCall?.id).toMatch(/^call_[0-9a-f]{16}$/);
    // deterministic, arguments included
    expect(
      await local.generateContent(
        "m",
        ask("What is the weather? use get_weather with city=Paris", { tools: weatherTool }),
      ),
    ).toEqual(reply);
  });

  it("calls the first declared function when asked to call a tool, and none when mode is NONE or nothing is asked", async () => {
    const asked = await local.generateContent("m", ask("please call a tool", { tools: weatherTool }));
    expect(asked.candidates?.[0]?.content.parts[0]?.functionCall).toEqual(
      expect.objectContaining({ name: "get_time", args: {} }),
    );
    const none = await local.generateContent(
      "m",
      ask("please call get_weather", { tools: weatherTool, toolConfig: { functionCallingConfig: { mode: "NONE" } } }),
    );
    expect(none.candidates?.[0]?.content.parts[0]?.text).toMatch(/^\[local:m\] echo:/);
    const plain = await local.generateContent("m", ask("just chatting", { tools: weatherTool }));
    expect(plain.candidates?.[0]?.content.parts[0]?.functionCall).toBeUndefined();
    const any = await local.generateContent(
      "m",
      ask("just chatting", {
        tools: weatherTool,
        toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } },
      }),
    );
    expect(any.candidates?.[0]?.content.parts[0]?.functionCall?.name).toBe("get_weather");
  });

  describe("calls a tool whenever the text plausibly asks for it (the README's rules)", () => {
    const city: GenerateContentRequest["tools"] = [
      {
        functionDeclarations: [
          {
            name: "get_weather",
            parameters: { type: "OBJECT", properties: { city: { type: "STRING" } }, required: ["city"] },
          },
        ],
      },
    ];
    const callFor = async (text: string, tools: GenerateContentRequest["tools"] = weatherTool) =>
      (await local.generateContent("m", ask(text, { tools }))).candidates?.[0]?.content.parts[0]?.functionCall;

    it("a tool whose name shares a word with the text, its argument taken from the text", async () => {
      expect(await callFor("Weather in Paris?", city)).toEqual({
        id: expect.stringMatching(/^call_/),
        name: "get_weather",
        args: { city: "Paris" },
      });
      expect((await callFor("What's the weather like in New York today?", city))?.args).toEqual({ city: "New York" });
      expect((await callFor("weather in lisbon please", city))?.args).toEqual({ city: "lisbon" });
      expect((await callFor('Weather for "Rio de Janeiro"', city))?.args).toEqual({ city: "Rio de Janeiro" });
      // The same text, the same call (id included).
      expect(await callFor("Weather in Paris?", city)).toEqual(await callFor("Weather in Paris?", city));
    });

    it("numbers, enum values and later phrases go to the parameters in their order", async () => {
      expect((await callFor("Weather in Oslo for the next 3 days, in fahrenheit"))?.args).toEqual({
        city: "Oslo",
        days: 3,
        unit: "fahrenheit",
      });
      // Spelled-out values win, and are not handed to another parameter.
      expect((await callFor("Weather, days=2, in Bergen"))?.args).toEqual({ city: "Bergen", days: 2, unit: "celsius" });
    });

    it("a description's words count too, the most shared words win, and common words do not count", async () => {
      expect((await callFor("What time is it?"))?.name).toBe("get_time");
      const tools: GenerateContentRequest["tools"] = [
        {
          functionDeclarations: [
            { name: "get_weather", description: "the weather forecast for a city" },
            { name: "search_files", description: "find stored files by name in a city archive" },
          ],
        },
      ];
      expect((await callFor("Search the archive files of this city", tools))?.name).toBe("search_files");
      expect(await callFor("get me a coffee, please", tools)).toBeUndefined();
      expect(await callFor("just chatting", tools)).toBeUndefined();
    });
  });

  it("answers a functionResponse turn with text that includes the function's result", async () => {
    const reply = await local.generateContent("m", {
      contents: [
        { role: "user", parts: [{ text: "use get_weather" }] },
        { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } }] },
        { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { output: { temp: 21 } } } }] },
      ],
      tools: weatherTool,
    });
    expect(reply.candidates?.[0]?.content.parts).toEqual([
      { text: '[local:m] get_weather returned {"output":{"temp":21}}' },
    ]);
    expect(reply.candidates?.[0]?.finishReason).toBe("STOP");
  });

  it("simulates upstream failures from [[fail:CODE]] markers", async () => {
    const e500 = await local.generateContent("m", ask("boom [[fail:500]]")).catch((e: unknown) => e);
    expect(e500).toMatchObject({ status: 503, code: "UNAVAILABLE", retryable: true });
    expect((e500 as Error).message).toContain("HTTP 500");
    const e429 = await local.generateContent("m", ask("[[fail:429]]")).catch((e: unknown) => e);
    expect(e429).toMatchObject({ status: 429, code: "RESOURCE_EXHAUSTED", retryable: true });
    const e400 = await local.generateContent("m", ask("[[fail:400]]")).catch((e: unknown) => e);
    expect(e400).toMatchObject({ status: 400, code: "INVALID_ARGUMENT", retryable: false });
  });

  it("fails the first N times with [[fail:CODE:N]], so retries recover", async () => {
    const provider = new LocalProvider({ delayMs: 0 });
    const retries: number[] = [];
    const reply = await generateWithRetry(provider, "m", ask("flaky [[fail:503:2]]"), {
      baseDelayMs: 1,
      onRetry: (_e, attempt) => retries.push(attempt),
    });
    expect(retries).toEqual([1, 2]);
    expect(reply.candidates?.[0]?.content.parts[0]?.text).toMatch(/^\[local:m\] echo: flaky/);
    // the count is per request: another request starts over
    await expect(provider.generateContent("m", ask("other [[fail:503:1]]"))).rejects.toThrow(ProviderError);
  });
});
