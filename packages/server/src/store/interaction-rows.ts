import type { Interaction, InteractionStatus } from "../core/interactions.js";
import { jsonOrNull, optJson } from "./rows.js";

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

export const INTERACTION_COLUMNS =
  "id, project_id, model, agent, status, history, steps, input_count, tools, system_instruction, generation_config, agent_config, " +
  "previous_interaction_id, webhook_config, background, error, usage, created_at, updated_at, ended_at, resumed_by";

/** Column values in INTERACTION_COLUMNS order; times rounded because PostgreSQL's BIGINT refuses fractions. */
export const interactionValues = (i: Interaction, background: number | boolean): unknown[] => [
  i.id,
  i.projectId,
  i.model ?? null,
  i.agent ?? null,
  i.status,
  JSON.stringify(i.history),
  JSON.stringify(i.steps),
  i.inputCount,
  jsonOrNull(i.tools),
  i.systemInstruction ?? null,
  jsonOrNull(i.generationConfig),
  jsonOrNull(i.agentConfig),
  i.previousInteractionId ?? null,
  jsonOrNull(i.webhookConfig),
  background,
  jsonOrNull(i.error),
  jsonOrNull(i.usage),
  Math.round(i.createdAt),
  Math.round(i.updatedAt),
  i.endedAt === undefined ? null : Math.round(i.endedAt),
  i.resumedBy ?? null,
];

/**
 * What `update` may change, in the drivers' SET order (status, steps, usage, error, updated_at, ended_at, resumed_by),
 * then the id.
 */
export const interactionUpdateValues = (i: Interaction): unknown[] => [
  i.status,
  JSON.stringify(i.steps),
  jsonOrNull(i.usage),
  jsonOrNull(i.error),
  Math.round(i.updatedAt),
  i.endedAt === undefined ? null : Math.round(i.endedAt),
  i.resumedBy ?? null,
  i.id,
];
