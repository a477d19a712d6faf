import type { Interaction, InteractionStatus } from "../core/interactions.js";
import { jsonOrNull, optJson } from "./rows.js";
import { ms, optMs } from "./sql/db.js";

/** The interactions table's row, shared by the SQL drivers; pg hands BIGINT columns over as strings. */
export interface InteractionRow {
  id: string;
  project_id: string;
  model: string | null;
  agent: string | null;
  status: string;
  history: string;
  steps: string;
  input_count: number | string;
  tools: string | null;
  system_instruction: string | null;
  generation_config: string | null;
  agent_config: string | null;
  previous_interaction_id: string | null;
  webhook_config: string | null;
  background: number | boolean;
  error: string | null;
  usage: string | null;
  created_at: number | string;
  updated_at: number | string;
  ended_at: number | string | null;
  resumed_by: string | null;
}

/** An optional field, left out when the column is NULL, so an interaction reads back exactly as it was written. */
const present = <K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } =>
  (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

export const toInteraction = (r: InteractionRow): Interaction => ({
  id: r.id,
  projectId: r.project_id,
  ...present("model", r.model),
  ...present("agent", r.agent),
  status: r.status as InteractionStatus,
  history: JSON.parse(r.history) as Interaction["history"],
  steps: JSON.parse(r.steps) as Interaction["steps"],
  inputCount: Number(r.input_count),
  ...present("tools", optJson<Interaction["tools"]>(r.tools)),
  ...present("systemInstruction", r.system_instruction),
  ...present("generationConfig", optJson<Interaction["generationConfig"]>(r.generation_config)),
  ...present("agentConfig", optJson<Interaction["agentConfig"]>(r.agent_config)),
  ...present("previousInteractionId", r.previous_interaction_id),
  ...present("webhookConfig", optJson<Interaction["webhookConfig"]>(r.webhook_config)),
  background: Boolean(r.background),
  ...present("error", optJson<Interaction["error"]>(r.error)),
  ...present("usage", optJson<Interaction["usage"]>(r.usage)),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  ...present("endedAt", r.ended_at === null ? null : Number(r.ended_at)),
  ...present("resumedBy", r.resumed_by),
});

/** The row's values by column; times rounded because PostgreSQL's BIGINT refuses fractions. */
export const interactionParams = (i: Interaction) => ({
  id: i.id,
  project_id: i.projectId,
  model: i.model ?? null,
  agent: i.agent ?? null,
  status: i.status,
  history: JSON.stringify(i.history),
  steps: JSON.stringify(i.steps),
  input_count: i.inputCount,
  tools: jsonOrNull(i.tools),
  system_instruction: i.systemInstruction ?? null,
  generation_config: jsonOrNull(i.generationConfig),
  agent_config: jsonOrNull(i.agentConfig),
  previous_interaction_id: i.previousInteractionId ?? null,
  webhook_config: jsonOrNull(i.webhookConfig),
  background: i.background,
  error: jsonOrNull(i.error),
  usage: jsonOrNull(i.usage),
  created_at: ms(i.createdAt),
  updated_at: ms(i.updatedAt),
  ended_at: optMs(i.endedAt),
  resumed_by: i.resumedBy ?? null,
});
