import { createHash } from "node:crypto";
import { cancelled, upstreamStatusError } from "./failures.js";
import { chooseFunctionCall } from "./local-tools.js";
import type { Content, GenerateContentRequest, GenerateContentResponse, Part, Provider } from "./provider.js";
import { sleep } from "../runtime/sleep.js";

/** Long prompts are echoed only in part: the reply should stay a line, not a copy. */
const ECHO_CHARS = 200;
/** Gemini's own rule of thumb: a token is about four characters. */
const CHARS_PER_TOKEN = 4;

export interface LocalOptions {
  /** Added to every request (TIDINGS_LOCAL_DELAY_MS), to make batches take visible time. */
  delayMs: number;
}

/**
 * The built-in offline provider (docs/architecture.md: providers). Its reply is a pure function of the model name and
 * the request,
 * so tests and demos can predict it:
 * - text: `[local:<model>] echo: <the last user text, whitespace collapsed, at most 200 chars> #<8 hex>`,
 *   the hex being the first 8 of the SHA-256 of that whole text (see `localReplyText`); with
 *   `responseMimeType: "application/json"` the text is instead `{"model":…,"echo":…,"hash":…}`;
 * - a `functionCall` part when tools are declared and the user text plausibly asks for one: it names one, shares
 *   a word with one's name or description, or asks to "call a tool" (local-tools.ts has the rules and how
 *   arguments are taken from the text);
 * - when the last turn carries `functionResponse` parts: `[local:<model>] <name> returned <JSON>` (joined by "; ");
 * - `maxOutputTokens` truncates (finishReason MAX_TOKENS); `candidateCount` repeats the candidate;
 * - usage counts are ceil(characters / 4) of the prompt's and the reply's text (and JSON of calls, responses).
 *
 * Simulated failures, for tests without a network: a marker in the last user turn's text makes it throw the
 * ProviderError that an upstream answering that HTTP status would cause.
 * - `[[fail:500]]` (any status 400–599): fails every time; 429 and 5xx are retryable, other 4xx are not;
 * - `[[fail:503:2]]`: fails the first 2 times this exact request reaches this provider instance, then answers
 *   normally (a retry test); the count lives in memory, per process.
 * The delay comes first, so a failing request takes as long as a successful one.
 */
export class LocalProvider implements Provider {
  readonly name = "local";
  private readonly failuresSeen = new Map<string, number>();

  constructor(private readonly options: LocalOptions) {}

  async generateContent(
    model: string,
    request: GenerateContentRequest,
    signal?: AbortSignal,
  ): Promise<GenerateContentResponse> {
    if (!(await sleep(this.options.delayMs, signal))) throw cancelled(this.name);
    this.simulateFailure(model, request);
    return localReply(model, request);
  }

  private simulateFailure(model: string, request: GenerateContentRequest): void {
    const marker = /\[\[fail:(\d{3})(?::(\d+))?\]\]/.exec(textOf(lastUserTurn(request)));
    if (marker === null) return;
    const status = Number(marker[1]);
    if (status < 400 || status > 599) return;
    if (marker[2] !== undefined) {
      const key = digest(`${model}\n${JSON.stringify(request)}`);
      const seen = this.failuresSeen.get(key) ?? 0;
      if (seen >= Number(marker[2])) return;
      this.failuresSeen.set(key, seen + 1);
    }
    throw upstreamStatusError(this.name, status, `simulated by the ${marker[0]} marker in the request text`);
  }
}

/** The `local` reply, without delay or simulated failures. */
export function localReply(model: string, request: GenerateContentRequest): GenerateContentResponse {
  const last = request.contents[request.contents.length - 1];
  const responses = (last?.parts ?? []).flatMap((p) => (p.functionResponse === undefined ? [] : [p.functionResponse]));
  const userText = textOf(lastUserTurn(request));
  let parts: Part[];
  if (responses.length > 0) {
    parts = [
      {
        text: `[local:${model}] ${responses.map((r) => `${r.name} returned ${JSON.stringify(r.response)}`).join("; ")}`,
      },
    ];
  } else {
    const call = chooseFunctionCall(request, userText);
    if (call !== undefined) {
      parts = [{ functionCall: { id: `call_${digest(`${model}\n${call.name}\n${userText}`).slice(0, 16)}`, ...call } }];
    } else {
      const json = request.generationConfig?.responseMimeType === "application/json";
      parts = [{ text: json ? localReplyJson(model, userText) : localReplyText(model, userText) }];
    }
  }
  let finishReason: "STOP" | "MAX_TOKENS" = "STOP";
  const max = request.generationConfig?.maxOutputTokens;
  const only = parts[0];
  if (max !== undefined && only?.text !== undefined && tokens(only.text) > max) {
    parts = [{ text: only.text.slice(0, max * CHARS_PER_TOKEN) }];
    finishReason = "MAX_TOKENS";
  }
  const promptTokenCount = tokens(
    [...(request.systemInstruction ? [request.systemInstruction] : []), ...request.contents].map(partsText).join(""),
  );
  const candidatesTokenCount = tokens(partsText({ parts }));
  const count = request.generationConfig?.candidateCount ?? 1;
  return {
    candidates: Array.from({ length: count }, (_, index) => ({
      content: { role: "model" as const, parts },
      finishReason,
      index,
    })),
    usageMetadata: { promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount },
    modelVersion: model,
  };
}

/** What `local` answers to a plain text prompt; exported so tests elsewhere can predict it. */
export function localReplyText(model: string, userText: string): string {
  return `[local:${model}] echo: ${echo(userText)} #${digest(userText).slice(0, 8)}`;
}

function localReplyJson(model: string, userText: string): string {
  return JSON.stringify({ model, echo: echo(userText), hash: digest(userText).slice(0, 8) });
}

function echo(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > ECHO_CHARS ? `${flat.slice(0, ECHO_CHARS)}…` : flat;
}

/** The last turn that is not the model's: the one a reply answers. */
function lastUserTurn(request: GenerateContentRequest): Content | undefined {
  for (let i = request.contents.length - 1; i >= 0; i--) {
    const content = request.contents[i];
    if (content !== undefined && content.role !== "model") return content;
  }
  return undefined;
}

function textOf(content: Content | undefined): string {
  return (content?.parts ?? []).flatMap((p) => (p.text !== undefined && p.thought !== true ? [p.text] : [])).join("\n");
}

/** Everything a model would read in a turn, for token counts. */
function partsText(content: { parts: Part[] }): string {
  return content.parts
    .map(
      (p) =>
        p.text ??
        (p.functionCall
          ? JSON.stringify(p.functionCall)
          : p.functionResponse
            ? JSON.stringify(p.functionResponse)
            : ""),
    )
    .join("");
}

function tokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
