import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { createProvider } from "../../../src/providers/index.js";
import { ConcurrencyLimiter } from "../../../src/providers/limiter.js";

describe("ConcurrencyLimiter", () => {
  it("runs at most n at once, in arrival order, and frees the slot when a task throws", async () => {
    const limiter = new ConcurrencyLimiter(2);
    let inFlight = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      if (i === 1) throw new Error("boom");
      return i;
    };
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => limiter.run(task(i))));
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
    expect(limiter.running).toBe(0);
    expect(limiter.queued).toBe(0);
  });
});

describe("provider settings", () => {
  const load = (env: Record<string, string>) => loadConfig({ dataDir: "/tmp/unused" }, env);

  it("defaults to local with no delay, 16 concurrent requests and a 120 s timeout", () => {
    const config = load({});
    expect(config).toMatchObject({
      provider: "local",
      localDelayMs: 0,
      providerConcurrency: 16,
      providerTimeoutMs: 120_000,
    });
    expect(createProvider({ provider: config.provider, localDelayMs: 0, timeoutMs: 1 }).name).toBe("local");
  });

  it("refuses bad values with the variable's name and the fix", () => {
    expect(() => load({ TIDINGS_PROVIDER: "ollama" })).toThrow(
      /TIDINGS_PROVIDER: "ollama" must be one of local, openai, gemini/,
    );
    expect(() => load({ TIDINGS_PROVIDER: "openai" })).toThrow(
      /TIDINGS_PROVIDER_BASE_URL is required with TIDINGS_PROVIDER=openai/,
    );
    expect(() => load({ TIDINGS_PROVIDER: "gemini" })).toThrow(/TIDINGS_PROVIDER_API_KEY is required/);
    expect(() => load({ TIDINGS_PROVIDER_BASE_URL: "localhost:8000" })).toThrow(/must be an http\(s\) URL/);
    expect(() => load({ TIDINGS_LOCAL_DELAY_MS: "-1" })).toThrow(/TIDINGS_LOCAL_DELAY_MS/);
    expect(
      load({
        TIDINGS_PROVIDER: "openai",
        TIDINGS_PROVIDER_BASE_URL: "http://127.0.0.1:8000/v1",
        TIDINGS_LOCAL_DELAY_MS: "25",
      }),
    ).toMatchObject({
      provider: "openai",
      providerBaseUrl: "http://127.0.0.1:8000/v1",
      localDelayMs: 25,
    });
  });
});
