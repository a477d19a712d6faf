import { addUsage } from "../../core/interactions.js";
import { malformedReply } from "../failures.js";
import { type GoogleUpstreamOptions, Upstream } from "../upstream.js";
import { fromGeminiInteraction, toGeminiInteraction } from "./gemini-wire.js";
import type { InteractionProvider, InteractionTurn, OutputStep, TurnResult } from "./types.js";

/** A turn that needs more hops than this is looping, not decoding. */
const MAX_HOPS = 8;

/** Forwards each turn to Gemini's `POST /v1beta/interactions`, synchronous and unstored (see gemini-wire.ts). */
export class GeminiInteractions implements InteractionProvider {
  readonly name = "gemini";
  private readonly upstream: Upstream;

  constructor(options: GoogleUpstreamOptions) {
    this.upstream = Upstream.google(this.name, options);
  }

  async nextTurn(turn: InteractionTurn, signal?: AbortSignal): Promise<TurnResult> {
    const request = toGeminiInteraction(turn);
    const steps: OutputStep[] = [];
    let usage: TurnResult["usage"];
    for (let hop = 1; ; hop++) {
      const reply = fromGeminiInteraction(await this.upstream.post("/v1beta/interactions", request, signal));
      steps.push(...reply.steps);
      usage = addUsage(usage, reply.usage);
      if (reply.continuationToken === undefined) break;
      if (hop >= MAX_HOPS)
        throw malformedReply(this.name, `the turn still asked for continuation after ${MAX_HOPS} requests`);
      // Unstored, so each hop re-sends the input with the token (as @google/genai does with store: false).
      request.continuation_token = reply.continuationToken;
    }
    return { steps, ...(usage !== undefined ? { usage } : {}) };
  }

  close(): Promise<void> {
    return this.upstream.close();
  }
}
