import type { Interaction as InteractionResource } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import type { Interaction } from "../../core/interactions.js";

/** The Interactions wire view (snake_case, docs/wire/interactions.md): its own timeline, input first. */
export function toInteractionResource(interaction: Interaction): InteractionResource {
  return {
    id: interaction.id,
    object: "interaction",
    status: interaction.status,
    ...(interaction.model !== undefined ? { model: interaction.model } : {}),
    ...(interaction.agent !== undefined ? { agent: interaction.agent } : {}),
    created: toRfc3339(interaction.createdAt),
    updated: toRfc3339(interaction.updatedAt),
    steps: interaction.steps,
    ...(interaction.usage !== undefined ? { usage: interaction.usage } : {}),
    ...(interaction.previousInteractionId !== undefined
      ? { previous_interaction_id: interaction.previousInteractionId }
      : {}),
    ...(interaction.systemInstruction !== undefined ? { system_instruction: interaction.systemInstruction } : {}),
    ...(interaction.tools !== undefined ? { tools: interaction.tools } : {}),
    ...(interaction.generationConfig !== undefined ? { generation_config: interaction.generationConfig } : {}),
    ...(interaction.agentConfig !== undefined ? { agent_config: interaction.agentConfig } : {}),
    ...(interaction.webhookConfig !== undefined ? { webhook_config: interaction.webhookConfig } : {}),
    background: interaction.background,
    ...(interaction.error !== undefined
      ? { errors: [{ code: interaction.error.status, message: interaction.error.message }] }
      : {}),
    ...(interaction.resumedBy !== undefined ? { resumed_by: interaction.resumedBy } : {}),
  };
}
