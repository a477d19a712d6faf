import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import {
  createAgentProvider,
  createInteractionProvider,
  createProvider,
  createVideoProvider,
  type ProviderConfig,
} from "../../../src/providers/index.js";

const load = (env: Record<string, string>) => loadConfig({ dataDir: "/tmp/unused" }, env);
const providerConfig = (env: Record<string, string>): ProviderConfig & { videoProvider: "local" | "veo" } => {
  const c = load(env);
  return {
    provider: c.provider,
    baseUrl: c.providerBaseUrl,
    apiKey: c.providerApiKey,
    localDelayMs: c.localDelayMs,
    timeoutMs: c.providerTimeoutMs,
    videoProvider: c.videoProvider,
  };
};

describe("TIDINGS_VIDEO_PROVIDER", () => {
  it("defaults to local and takes veo with a Gemini key", () => {
    expect(load({}).videoProvider).toBe("local");
    expect(load({ TIDINGS_VIDEO_PROVIDER: "veo", TIDINGS_PROVIDER_API_KEY: "AIza" }).videoProvider).toBe("veo");
  });

  it("refuses what cannot work, naming the variable and the fix", () => {
    expect(() => load({ TIDINGS_VIDEO_PROVIDER: "sora" })).toThrow(
      /TIDINGS_VIDEO_PROVIDER: "sora" must be one of local, veo/,
    );
    expect(() => load({ TIDINGS_VIDEO_PROVIDER: "veo" })).toThrow(
      /TIDINGS_PROVIDER_API_KEY is required with TIDINGS_VIDEO_PROVIDER=veo/,
    );
    expect(() =>
      load({
        TIDINGS_VIDEO_PROVIDER: "veo",
        TIDINGS_PROVIDER: "openai",
        TIDINGS_PROVIDER_BASE_URL: "http://127.0.0.1:8000/v1",
        TIDINGS_PROVIDER_API_KEY: "sk",
      }),
    ).toThrow(/TIDINGS_VIDEO_PROVIDER=veo needs a Gemini key/);
  });
});

describe("provider factories", () => {
  it("gives each backend its interaction, agent and video providers", async () => {
    const local = providerConfig({});
    const interactions = createInteractionProvider(local, createProvider(local));
    expect(interactions.name).toBe("local");
    const turn = await interactions.nextTurn({
      model: "m",
      steps: [{ type: "user_input", content: [{ type: "text", text: "hi" }] }],
    });
    expect(turn.steps[0]?.type).toBe("model_output");
    expect(createAgentProvider(local).runs("deep-research-preview-04-2026")).toBe(true);
    expect(createVideoProvider(local).name).toBe("local");

    const openai = providerConfig({ TIDINGS_PROVIDER: "openai", TIDINGS_PROVIDER_BASE_URL: "http://127.0.0.1:9/v1" });
    const generation = createProvider(openai);
    expect(createInteractionProvider(openai, generation).name).toBe("openai");
    await generation.close?.();

    const gemini = providerConfig({
      TIDINGS_PROVIDER: "gemini",
      TIDINGS_PROVIDER_API_KEY: "AIza",
      TIDINGS_VIDEO_PROVIDER: "veo",
    });
    const geminiGeneration = createProvider(gemini);
    const remote = createInteractionProvider(gemini, geminiGeneration);
    expect(remote.name).toBe("gemini");
    await Promise.all([remote.close?.(), geminiGeneration.close?.()]);
    const veo = createVideoProvider(gemini);
    expect(veo.name).toBe("veo");
    await veo.close?.();
  });
});
