import type { InteractionStreamEvent } from "@tidings/sdk/contract";
import type { FastifyReply } from "fastify";
import type { InteractionStep } from "../core/interaction-steps.js";
import type { Interaction } from "../core/interactions.js";
import { toInteractionResource } from "./views/interactions.js";

type EventBody = InteractionStreamEvent extends infer E ? (E extends unknown ? Omit<E, "event_id"> : never) : never;

/**
 * A streamed interaction as Server-Sent Events, as the clients parse them (docs/wire/interactions.md):
 * `interaction.created`, `interaction.status_update`, then per output step `step.start`, `step.delta`s and
 * `step.stop`, then `interaction.completed` with its final status, and `data: [DONE]`. The events are a pure
 * function of the interaction's states, so their ids (`evt_1`, `evt_2`, …) are the same on every replay, and
 * `last_event_id` resumes after one. Nothing is written until the first event: an error before it is still
 * an ordinary JSON reply.
 */
export class InteractionEventStream {
  private count = 0;
  private streamedSteps = 0;
  private open = false;
  private begun = false;

  constructor(
    private readonly reply: FastifyReply,
    /** Events up to and including this id were already seen (`last_event_id`). */
    private readonly resumeAfter?: string,
  ) {}

  get closed(): boolean {
    return this.reply.raw.destroyed;
  }

  /** Whether the first events went out: from then on a failure can only be an `error` event. */
  get started(): boolean {
    return this.begun;
  }

  /** Whatever output steps it has that were not streamed yet; the first call announces it (created, in progress). */
  update(interaction: Interaction): void {
    if (!this.begun) this.begin(interaction);
    for (let index = this.streamedSteps; index < interaction.steps.length; index++)
      this.step(index, interaction.steps[index]!);
    this.streamedSteps = interaction.steps.length;
  }

  /** Its end (or its pause at requires_action), then the end of the stream. */
  end(interaction: Interaction): void {
    this.update(interaction);
    this.send({ event_type: "interaction.completed", interaction: summary(interaction) });
    this.done();
  }

  /** A failure mid-stream: the clients yield an `error` event like any other, then the stream ends. */
  fail(code: string, message: string): void {
    this.send({ event_type: "error", error: { code, message } });
    this.done();
  }

  private begin(interaction: Interaction): void {
    this.begun = true;
    this.send({ event_type: "interaction.created", interaction: summary(interaction) });
    this.send({ event_type: "interaction.status_update", interaction_id: interaction.id, status: "in_progress" });
    this.streamedSteps = interaction.inputCount;
  }

  private step(index: number, step: InteractionStep): void {
    if (step.type === "model_output") {
      const texts = step.content.flatMap((c) => (c.type === "text" ? [c.text] : []));
      const media = step.content.filter((c) => c.type !== "text");
      this.send({
        event_type: "step.start",
        index,
        step: {
          type: "model_output",
          content: [...(texts.length > 0 ? [{ type: "text" as const, text: "" }] : []), ...media],
        },
      });
      for (const text of texts) this.send({ event_type: "step.delta", index, delta: { type: "text", text } });
    } else {
      this.send({ event_type: "step.start", index, step });
    }
    this.send({ event_type: "step.stop", index });
  }

  private send(event: EventBody): void {
    const id = `evt_${++this.count}`;
    if (this.resumeAfter !== undefined && this.count <= sequence(this.resumeAfter)) return;
    this.writeHead();
    if (!this.closed)
      this.reply.raw.write(
        `event: ${event.event_type}\nid: ${id}\ndata: ${JSON.stringify({ ...event, event_id: id })}\n\n`,
      );
  }

  private done(): void {
    this.writeHead();
    if (!this.closed) this.reply.raw.end("data: [DONE]\n\n");
  }

  private writeHead(): void {
    if (this.open) return;
    this.open = true;
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
  }
}

/** The partial Interaction the created and completed events carry: no steps, which the step events stream. */
function summary(interaction: Interaction) {
  const { steps: _steps, ...rest } = toInteractionResource(interaction);
  return rest;
}

function sequence(eventId: string): number {
  const n = Number(/^evt_(\d+)$/.exec(eventId)?.[1]);
  return Number.isInteger(n) ? n : 0;
}
