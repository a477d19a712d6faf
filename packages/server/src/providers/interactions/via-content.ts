import type { Provider } from "../provider.js";
import { fromGenerateContentResponse, toGenerateContentRequest } from "./content-bridge.js";
import type { InteractionProvider, InteractionTurn, TurnResult } from "./types.js";

/**
 * Interactions on a generateContent provider (`local`, `openai`): each turn is one generation over the whole
 * history, so nothing is kept upstream between turns and a restarted runner loses nothing. It borrows the
 * provider (and its connection pool) from whoever created it, who also closes it.
 */
export class ContentInteractions implements InteractionProvider {
  readonly name: string;

  constructor(private readonly provider: Provider) {
    this.name = provider.name;
  }

  async nextTurn(turn: InteractionTurn, signal?: AbortSignal): Promise<TurnResult> {
    const request = toGenerateContentRequest(turn, this.name);
    return fromGenerateContentResponse(
      turn,
      await this.provider.generateContent(turn.model, request, signal),
      this.name,
    );
  }
}
