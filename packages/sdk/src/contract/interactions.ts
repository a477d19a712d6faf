/**
 * Gemini's Interactions API (docs/wire.md: interactions; the wire as the clients speak it: docs/wire/interactions.md):
 * snake_case, as @google/genai (2.x and 3.x) and google-genai for Python send and read it.
 */
import { Type, type Static } from "@sinclair/typebox";
import { FreeForm, Message, StringEnum, Timestamp } from "./common.js";
import { WebhookConfig } from "./operations.js";

export const INTERACTION_STATUSES = ["in_progress", "requires_action", "completed", "failed", "cancelled"] as const;
export type InteractionStatus = (typeof INTERACTION_STATUSES)[number];

export const CONTENT_TYPES = ["text", "image", "audio", "video", "document"] as const;

/** A piece of content: `text`, or media as base64 `data` or a `uri`. */
export const InteractionContent = Message(
  {
    type: StringEnum(CONTENT_TYPES),
    text: Type.Optional(Type.String({ description: "type text" })),
    data: Type.Optional(Type.String({ description: "media: base64 bytes" })),
    uri: Type.Optional(Type.String({ description: "media: where the bytes are" })),
    mime_type: Type.Optional(Type.String({ description: "media: e.g. image/png" })),
  },
  { title: "Content" },
);
export type InteractionContent = Static<typeof InteractionContent>;

export const UserInputStep = Message(
  { type: Type.Literal("user_input"), content: Type.Array(InteractionContent) },
  { title: "UserInputStep" },
);

export const ModelOutputStep = Message(
  {
    type: Type.Literal("model_output"),
    content: Type.Array(InteractionContent),
    error: Type.Optional(FreeForm("{code?, message?, details?}")),
  },
  { title: "ModelOutputStep" },
);

export const ThoughtStep = Message(
  {
    type: Type.Literal("thought"),
    signature: Type.Optional(Type.String({ description: "opaque; send it back with the history" })),
    summary: Type.Optional(Type.Array(InteractionContent)),
  },
  { title: "ThoughtStep" },
);

export const FunctionCallStep = Message(
  {
    type: Type.Literal("function_call"),
    id: Type.String({ description: "the call_id its function_result answers" }),
    name: Type.String(),
    arguments: FreeForm("the call's arguments, a JSON object"),
  },
  { title: "FunctionCallStep" },
);

export const FunctionResultStep = Message(
  {
    type: Type.Literal("function_result"),
    call_id: Type.String({ minLength: 1, description: "the id of the function_call it answers" }),
    name: Type.Optional(Type.String()),
    result: Type.Unknown({ description: "an object, a string or a list of contents" }),
    is_error: Type.Optional(Type.Boolean()),
  },
  { title: "FunctionResultStep" },
);

/** Each kind of step, by its `type`: a request's input items are checked against the one they name. */
export const STEP_SCHEMAS = {
  user_input: UserInputStep,
  model_output: ModelOutputStep,
  thought: ThoughtStep,
  function_call: FunctionCallStep,
  function_result: FunctionResultStep,
} as const;

export const InteractionStep = Type.Union(
  [UserInputStep, ModelOutputStep, ThoughtStep, FunctionCallStep, FunctionResultStep],
  { title: "Step" },
);
export type InteractionStep = Static<typeof InteractionStep>;

/** A tool the model may call. Tidings runs function tools; `parameters` is JSON Schema (lower-case types). */
export const InteractionTool = Message(
  {
    type: Type.String({ description: 'only "function" is supported' }),
    name: Type.Optional(Type.String({ description: "required for a function" })),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(FreeForm("JSON Schema of the arguments, kept as given")),
  },
  { title: "Tool" },
);
export type InteractionTool = Static<typeof InteractionTool>;

export const InteractionGenerationConfig = Message({
  temperature: Type.Optional(Type.Number()),
  top_p: Type.Optional(Type.Number()),
  max_output_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
  stop_sequences: Type.Optional(Type.Array(Type.String())),
  seed: Type.Optional(Type.Integer()),
  thinking_level: Type.Optional(Type.String({ description: "accepted; no provider here acts on it" })),
  thinking_summaries: Type.Optional(Type.String({ description: "accepted; no provider here acts on it" })),
  tool_choice: Type.Optional(
    Type.Unknown({ description: '"auto", "any", "none", "validated" or {allowed_tools: {mode?, tools?}}' }),
  ),
});
export type InteractionGenerationConfig = Static<typeof InteractionGenerationConfig>;

export const InteractionUsage = Message({
  total_input_tokens: Type.Integer(),
  total_output_tokens: Type.Integer(),
  total_thought_tokens: Type.Optional(Type.Integer()),
  total_tokens: Type.Integer(),
});

export const CreateInteractionRequest = Message(
  {
    model: Type.Optional(Type.String({ description: "the model; or agent" })),
    agent: Type.Optional(
      Type.String({ description: 'an agent such as "deep-research-pro-preview-12-2025"; or model' }),
    ),
    agent_config: Type.Optional(FreeForm('the agent\'s settings, e.g. {type: "deep-research"}')),
    input: Type.Unknown({
      description:
        "a string, a Content, a list of Contents, or a list of Steps (function_result steps resume an interaction that requires action)",
    }),
    tools: Type.Optional(Type.Array(InteractionTool)),
    system_instruction: Type.Optional(Type.String()),
    generation_config: Type.Optional(InteractionGenerationConfig),
    background: Type.Optional(Type.Boolean({ description: "run after answering; required by webhook_config" })),
    store: Type.Optional(Type.Boolean({ description: "default true; a background interaction is always stored" })),
    stream: Type.Optional(Type.Boolean({ description: "answer with Server-Sent Events" })),
    previous_interaction_id: Type.Optional(Type.String({ description: "the interaction this one continues" })),
    webhook_config: Type.Optional(WebhookConfig),
  },
  { examples: [{ model: "gemini-2.5-flash", input: "Hello" }] },
);
export type CreateInteractionRequest = Static<typeof CreateInteractionRequest>;

export const InteractionErrorDetail = Message({
  code: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});

export const Interaction = Message(
  {
    id: Type.String(),
    object: Type.Literal("interaction"),
    status: StringEnum(INTERACTION_STATUSES),
    model: Type.Optional(Type.String()),
    agent: Type.Optional(Type.String()),
    created: Timestamp(),
    updated: Timestamp(),
    steps: Type.Array(InteractionStep, {
      description: "its own timeline: its input, then what the model or agent produced",
    }),
    usage: Type.Optional(InteractionUsage),
    previous_interaction_id: Type.Optional(Type.String()),
    system_instruction: Type.Optional(Type.String()),
    tools: Type.Optional(Type.Array(InteractionTool)),
    generation_config: Type.Optional(InteractionGenerationConfig),
    agent_config: Type.Optional(FreeForm("as given")),
    webhook_config: Type.Optional(WebhookConfig),
    background: Type.Optional(Type.Boolean()),
    errors: Type.Optional(Type.Array(InteractionErrorDetail, { description: "why it failed" })),
    resumed_by: Type.Optional(
      Type.String({
        description:
          "Tidings: the interaction that answered this one's function calls and continues it. It stays requires_action but waits for nothing more; answering it again returns that interaction",
      }),
    ),
  },
  { description: "an interaction (docs/wire/interactions.md)" },
);
export type Interaction = Static<typeof Interaction>;

export const GetInteractionQuery = Message({
  stream: Type.Optional(Type.Boolean({ description: "true: Server-Sent Events, following it until it stops" })),
  include_input: Type.Optional(Type.Boolean({ description: "accepted; the steps always begin with the input" })),
  last_event_id: Type.Optional(Type.String({ description: "with stream: resume after this event_id" })),
});
export type GetInteractionQuery = Static<typeof GetInteractionQuery>;

/**
 * A Server-Sent Event of a streamed interaction: `data:` JSON, read by its `event_type` (docs/wire/interactions.md).
 */
export type InteractionStreamEvent = { event_id: string } & (
  | { event_type: "interaction.created"; interaction: Partial<Interaction> & Pick<Interaction, "id" | "status"> }
  | { event_type: "interaction.status_update"; interaction_id: string; status: InteractionStatus }
  | { event_type: "step.start"; index: number; step: InteractionStep }
  | {
      event_type: "step.delta";
      index: number;
      delta: { type: "text"; text: string } | { type: "arguments_delta"; arguments: string };
    }
  | { event_type: "step.stop"; index: number }
  | { event_type: "interaction.completed"; interaction: Partial<Interaction> & Pick<Interaction, "id" | "status"> }
  | { event_type: "error"; error: { code?: string; message?: string } }
);
