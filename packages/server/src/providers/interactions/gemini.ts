import { addUsage } from "../../core/interactions.js";
import { malformedReply } from "../failures.js";
import { GEMINI_BASE_URL } from "../gemini.js";
import { JsonClient } from "../http-client.js";
import { fromGeminiInteraction, toGeminiInteraction } from "./gemini-wire.js";
import type { InteractionProvider, InteractionTurn, OutputStep, TurnResult } from "./types.js";

/** A turn that needs more hops than this is looping, not decoding. */
const MAX_HOPS = 8;

export interface GeminiInteractionsOptions {
  /** The host only; `/v1beta/interactions` is appended. */
  baseUrl?: string;
  apiKey: string;
  timeoutMs: number;
}

/** Forwards each turn to Gemini's `POST /v1beta/interactions`, synchronous and unstored (see gemini-wire.ts). */
export class GeminiInteractions implements InteractionProvider {
  readonly name = "gemini";
  private readonly client: JsonClient;
  private readonly url: string;

  constructor(private readonly options: GeminiInteractionsOptions) {
    this.client = new JsonClient({ provider: this.name, timeoutMs: options.timeoutMs });
    this.url = `${(options.baseUrl ?? GEMINI_BASE_URL).replace(/\/+$/, "")}/v1beta/interactions`;
  }

  async nextTurn(turn: InteractionTurn, signal?: AbortSignal): Promise<TurnResult> {
    const request = toGeminiInteraction(turn);
    const steps: OutputStep[] = [];
    let usage: TurnResult["usage"];
    for (let hop = 1; ; hop++) {
      const reply = fromGeminiInteraction(await this.client.post(this.url, { "x-goog-api-key": this.options.apiKey }, request, signal));
      steps.push(...reply.steps);
      usage = addUsage(usage, reply.usage);
      if (reply.continuationToken === undefined) break;
      if (hop >= MAX_HOPS) throw malformedReply(this.name, `the turn still asked for continuation after ${MAX_HOPS} requests`);
      // Unstored, so each hop re-sends the input with the token (as @google/genai does with store: false).
      request.continuation_token = reply.continuationToken;
    }
    return { steps, ...(usage !== undefined ? { usage } : {}) };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
