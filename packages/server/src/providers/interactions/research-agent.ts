import { createHash } from "node:crypto";
import { cancelled, upstreamStatusError } from "../failures.js";
import { sleep } from "../../runtime/sleep.js";
import type { AgentProgress, AgentProvider, AgentTask, InteractionStep, OutputStep } from "./types.js";

/** Long questions are quoted only in part: the report should stay readable. */
const TOPIC_CHARS = 120;
const CHARS_PER_TOKEN = 4;
const QUESTIONS = ["what it is", "how it works", "what is known about its limits"];

export interface ResearchAgentOptions {
  /** TIDINGS_LOCAL_DELAY_MS: how long each step takes. */
  delayMs: number;
}

/**
 * Deep Research, emulated offline (`agent: "deep-research-…"`): a plan, one research step per question and a
 * final report, each one call of `advance` taking `delayMs`. Every step is a pure function of the task and
 * of how many steps were already taken, so a runner that restarts mid-run continues with the same steps.
 * A `[[fail:NNN]]` marker in the question makes the report step fail as an upstream answering NNN would.
 */
export class LocalResearchAgent implements AgentProvider {
  readonly name = "local";

  constructor(private readonly options: ResearchAgentOptions) {}

  runs(agent: string): boolean {
    return agent.startsWith("deep-research");
  }

  async advance(task: AgentTask, progress: InteractionStep[], signal?: AbortSignal): Promise<AgentProgress> {
    const done = stepsSinceInput(progress);
    if (done.some((s) => s.type === "model_output")) return { steps: [], done: true };
    if (!(await sleep(this.options.delayMs, signal))) throw cancelled(this.name);
    const topic = topicOf(task);
    const taken = done.length;
    const steps: OutputStep[] = [];
    if (taken === 0)
      steps.push(thought(`Planning: break "${topic}" into ${QUESTIONS.length} questions: ${QUESTIONS.join("; ")}.`));
    else if (taken <= QUESTIONS.length)
      steps.push(
        thought(`Researching ${taken}/${QUESTIONS.length}: ${QUESTIONS[taken - 1]} (note ${tag(topic, taken)}).`),
      );
    else {
      const marker = /\[\[fail:(\d{3})\]\]/.exec(topic);
      if (marker !== null)
        throw upstreamStatusError(
          this.name,
          Number(marker[1]),
          `simulated by the ${marker[0]} marker in the research question`,
        );
      steps.push({ type: "model_output", content: [{ type: "text", text: report(task.agent, topic) }] });
    }
    const output = steps.map((s) => JSON.stringify(s)).join("").length;
    const input = Math.ceil(topic.length / CHARS_PER_TOKEN);
    const usage = {
      total_input_tokens: input,
      total_output_tokens: Math.ceil(output / CHARS_PER_TOKEN),
      total_tokens: input + Math.ceil(output / CHARS_PER_TOKEN),
    };
    return { steps, done: steps.some((s) => s.type === "model_output"), usage };
  }
}

/** The agent's own steps: those after the last user input the runner stored. */
function stepsSinceInput(progress: InteractionStep[]): InteractionStep[] {
  let from = progress.length;
  while (from > 0 && progress[from - 1]?.type !== "user_input") from--;
  return progress.slice(from);
}

function topicOf(task: AgentTask): string {
  const text = task.input
    .flatMap((s) => (s.type === "user_input" ? s.content.flatMap((c) => (c.type === "text" ? [c.text] : [])) : []))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
  const topic = text === "" ? "(no question given)" : text;
  return topic.length > TOPIC_CHARS ? `${topic.slice(0, TOPIC_CHARS)}…` : topic;
}

function thought(text: string): OutputStep {
  return { type: "thought", summary: [{ type: "text", text }] };
}

function report(agent: string, topic: string): string {
  const findings = QUESTIONS.map((q, i) => `${i + 1}. On ${q}: see note ${tag(topic, i + 1)}.`).join("\n");
  return [
    `# Research report: ${topic}`,
    "",
    `## Findings`,
    findings,
    "",
    `## Method`,
    `Emulated offline by Tidings' local provider for ${agent}: ${QUESTIONS.length} research steps, no sources consulted.`,
  ].join("\n");
}

function tag(topic: string, step: number): string {
  return createHash("sha256").update(`${step}\n${topic}`).digest("hex").slice(0, 8);
}
