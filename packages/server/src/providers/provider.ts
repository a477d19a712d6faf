/**
 * The model-provider contract (docs/architecture.md: providers). Requests and replies are the Gemini REST wire format,
 * so the
 * sync endpoint, the batch runner and the `gemini` provider pass them through unchanged; other providers
 * translate at their edge. Only the subset below is understood; see @google/genai's genai.d.ts for the rest.
 */

/** An OpenAPI 3.0 subset as Gemini takes it (`type` is upper case: "OBJECT", "STRING", …). */
export interface Schema {
  type?: string;
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  minItems?: string | number;
  maxItems?: string | number;
  minimum?: number;
  maximum?: number;
  minLength?: string | number;
  maxLength?: string | number;
  pattern?: string;
  default?: unknown;
  example?: unknown;
  propertyOrdering?: string[];
}

export interface FunctionCall {
  /** Set by some models; echoed back in the matching FunctionResponse. */
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

export interface FunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
}

export interface Blob {
  mimeType: string;
  /** base64 */
  data: string;
}

export interface FileData {
  mimeType?: string;
  fileUri: string;
}

/** One part carries exactly one of text, inlineData, fileData, functionCall or functionResponse. */
export interface Part {
  text?: string;
  /** Marks reasoning text, which `response.text` leaves out. */
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: Blob;
  fileData?: FileData;
  functionCall?: FunctionCall;
  functionResponse?: FunctionResponse;
}

export type Role = "user" | "model";

export interface Content {
  /** Absent means "user", as on the Gemini API. */
  role?: Role;
  parts: Part[];
}

export interface FunctionDeclaration {
  name: string;
  description?: string;
  /** Gemini's OpenAPI-style schema … */
  parameters?: Schema;
  /** … or plain JSON Schema; a declaration has at most one of the two. */
  parametersJsonSchema?: unknown;
}

/** Only function declarations are understood by every provider; other tools reach `gemini` only. */
export interface Tool {
  functionDeclarations?: FunctionDeclaration[];
  googleSearch?: Record<string, unknown>;
  codeExecution?: Record<string, unknown>;
  urlContext?: Record<string, unknown>;
}

export type FunctionCallingMode = "MODE_UNSPECIFIED" | "AUTO" | "ANY" | "NONE" | "VALIDATED";

export interface ToolConfig {
  functionCallingConfig?: { mode?: FunctionCallingMode; allowedFunctionNames?: string[] };
}

export interface ThinkingConfig {
  thinkingBudget?: number;
  includeThoughts?: boolean;
}

export interface GenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  candidateCount?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseSchema?: Schema;
  responseJsonSchema?: unknown;
  thinkingConfig?: ThinkingConfig;
}

export interface SafetySetting {
  category: string;
  threshold: string;
}

/** The body of `POST /v1beta/models/{model}:generateContent`. */
export interface GenerateContentRequest {
  contents: Content[];
  systemInstruction?: Content;
  generationConfig?: GenerationConfig;
  tools?: Tool[];
  toolConfig?: ToolConfig;
  /** Passed on to `gemini`; the other providers have no such knob and ignore it. */
  safetySettings?: SafetySetting[];
}

export type FinishReason =
  | "FINISH_REASON_UNSPECIFIED"
  | "STOP"
  | "MAX_TOKENS"
  | "SAFETY"
  | "RECITATION"
  | "LANGUAGE"
  | "OTHER"
  | "BLOCKLIST"
  | "PROHIBITED_CONTENT"
  | "SPII"
  | "MALFORMED_FUNCTION_CALL";

export interface Candidate {
  content: { role: "model"; parts: Part[] };
  finishReason?: FinishReason;
  index: number;
}

export interface UsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
}

/** The reply of `:generateContent`. `candidates` is absent only when Gemini blocked the prompt itself. */
export interface GenerateContentResponse {
  candidates?: Candidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: UsageMetadata;
  modelVersion: string;
  responseId?: string;
}

export interface Provider {
  /** `local`, `openai` or `gemini`: shown in errors and on the Model resource. */
  readonly name: string;
  /**
   * Rejects only with ProviderError; when `signal` aborts it rejects with code CANCELLED (not retryable).
   */
  generateContent(
    model: string,
    request: GenerateContentRequest,
    signal?: AbortSignal,
  ): Promise<GenerateContentResponse>;
  /** Frees pooled connections; optional because `local` holds none. */
  close?(): Promise<void>;
}

/** google.rpc status names a provider failure can carry. */
export type ProviderErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "RESOURCE_EXHAUSTED"
  | "UNAVAILABLE"
  | "DEADLINE_EXCEEDED"
  | "CANCELLED"
  | "INTERNAL";

export interface ProviderErrorInit {
  /** The HTTP code to report to our own caller (not necessarily the upstream one). */
  status: number;
  code: ProviderErrorCode;
  retryable: boolean;
  retryAfterMs?: number;
  /** The request field at fault, for INVALID_ARGUMENT that the provider (not the upstream) detected. */
  field?: string;
}

/**
 * Why a generation failed, already phrased for Tidings' caller: which code to answer with, whether trying
 * again can help (429, 5xx, network, timeouts) and how long the upstream asked us to wait.
 */
export class ProviderError extends Error {
  readonly status: number;
  readonly code: ProviderErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly field?: string;

  constructor(message: string, init: ProviderErrorInit) {
    super(message);
    this.name = "ProviderError";
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.field !== undefined) this.field = init.field;
  }
}
