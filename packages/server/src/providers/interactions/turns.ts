import { conversation, type Interaction, type InteractionProgress } from "../../core/interactions.js";
import { nextTurnWithRetry, withRetry } from "../retry.js";
import type { AgentProvider, InteractionProvider } from "./types.js";

/**
 * One unit of an interaction's work through the providers: a model turn over the whole conversation (done
 * after it), or the next step of an agent run. Upstream failures that may pass (429, 5xx, network) are
 * retried; what is left rejects with ProviderError, CANCELLED as soon as `signal` aborts.
 */
export class ProviderTurns {
  constructor(
    private readonly models: InteractionProvider,
    private readonly agents: AgentProvider,
  ) {}

  runsAgent(agent: string): boolean {
    return this.agents.runs(agent);
  }

  async next(interaction: Interaction, signal?: AbortSignal): Promise<InteractionProgress> {
    if (interaction.agent !== undefined) {
      const task = {
        agent: interaction.agent,
        ...(interaction.systemInstruction !== undefined ? { system_instruction: interaction.systemInstruction } : {}),
        input: interaction.steps.slice(0, interaction.inputCount),
      };
      const progress = await withRetry(this.agents.name, (s) => this.agents.advance(task, interaction.steps, s), {
        signal,
      });
      return {
        steps: progress.steps,
        done: progress.done,
        ...(progress.usage !== undefined ? { usage: progress.usage } : {}),
      };
    }
    const turn = await nextTurnWithRetry(
      this.models,
      {
        model: interaction.model ?? "",
        steps: conversation(interaction),
        ...(interaction.systemInstruction !== undefined ? { system_instruction: interaction.systemInstruction } : {}),
        ...(interaction.tools !== undefined ? { tools: interaction.tools } : {}),
        ...(interaction.generationConfig !== undefined ? { generation_config: interaction.generationConfig } : {}),
      },
      { signal },
    );
    return { steps: turn.steps, done: true, ...(turn.usage !== undefined ? { usage: turn.usage } : {}) };
  }
}
