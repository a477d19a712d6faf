import { describe, expect, it } from "vitest";
import { LocalResearchAgent } from "../../../src/providers/interactions/research-agent.js";
import type { AgentTask, InteractionStep } from "../../../src/providers/interactions/types.js";
import type { ProviderError } from "../../../src/providers/provider.js";

const task = (question: string): AgentTask => ({
  agent: "deep-research-pro-preview-12-2025",
  input: [{ type: "user_input", content: [{ type: "text", text: question }] }],
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a ProviderError"),
    (e: unknown) => e as ProviderError,
  );

/** What a runner does: advance, store the steps, until done. */
async function run(
  agent: LocalResearchAgent,
  t: AgentTask,
  stored: InteractionStep[] = [...t.input],
): Promise<{ stored: InteractionStep[]; calls: number }> {
  let calls = 0;
  for (;;) {
    const progress = await agent.advance(t, stored);
    calls++;
    stored.push(...progress.steps);
    if (progress.done) return { stored, calls };
  }
}

describe("local deep-research agent", () => {
  it("runs deep-research agents only", () => {
    const agent = new LocalResearchAgent({ delayMs: 0 });
    expect(agent.runs("deep-research-pro-preview-12-2025")).toBe(true);
    expect(agent.runs("antigravity-preview-05-2026")).toBe(false);
  });

  it("plans, researches step by step and ends with a report, the same every time", async () => {
    const agent = new LocalResearchAgent({ delayMs: 0 });
    const { stored, calls } = await run(agent, task("Why do webhooks beat polling?"));
    expect(calls).toBe(5);
    expect(stored.map((s) => s.type)).toEqual([
      "user_input",
      "thought",
      "thought",
      "thought",
      "thought",
      "model_output",
    ]);
    const report = stored.at(-1);
    expect(report?.type === "model_output" && report.content[0]?.type === "text" && report.content[0].text).toMatch(
      /^# Research report: Why do webhooks beat polling\?\n/,
    );
    expect((await run(new LocalResearchAgent({ delayMs: 0 }), task("Why do webhooks beat polling?"))).stored).toEqual(
      stored,
    );
  });

  it("continues where a restarted runner left off, and adds nothing once the report is written", async () => {
    const t = task("Tidings");
    const full = (await run(new LocalResearchAgent({ delayMs: 0 }), t)).stored;
    const halfway = full.slice(0, 3); // user input, plan, first research step
    const resumed = await run(new LocalResearchAgent({ delayMs: 0 }), t, [...halfway]);
    expect(resumed.stored).toEqual(full);
    expect(resumed.calls).toBe(3);
    expect(await new LocalResearchAgent({ delayMs: 0 }).advance(t, full)).toEqual({ steps: [], done: true });
  });

  it("takes TIDINGS_LOCAL_DELAY_MS per step and stops between steps when cancelled", async () => {
    const controller = new AbortController();
    const pending = new LocalResearchAgent({ delayMs: 3_600_000 }).advance(task("slow"), [], controller.signal);
    controller.abort();
    expect((await failure(pending)).code).toBe("CANCELLED");
  });

  it("fails the report step on a [[fail:NNN]] marker, as an upstream would", async () => {
    const agent = new LocalResearchAgent({ delayMs: 0 });
    const t = task("doomed [[fail:500]]");
    const stored: InteractionStep[] = [...t.input];
    for (let i = 0; i < 4; i++) stored.push(...(await agent.advance(t, stored)).steps);
    const error = await failure(agent.advance(t, stored));
    expect(error.code).toBe("UNAVAILABLE");
    expect(error.message).toContain("[[fail:500]]");
  });
});
