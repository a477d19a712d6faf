import { describe, expect, it } from "vitest";
import type { Interaction } from "../../../src/core/interactions.js";
import { interaction, T0, type StoreFixture } from "./fixtures.js";

export function describeInteractions(f: StoreFixture): void {
  describe("interactions", () => {
    it("stores an interaction with every field, and updates its status, steps, usage and error", async () => {
      const { store, projectId } = f;
      const full = interaction(projectId, {
        history: [
          { type: "user_input", content: [{ type: "text", text: "earlier" }] },
          { type: "model_output", content: [{ type: "text", text: "ok" }] },
        ],
        steps: [
          { type: "function_result", call_id: "c1", name: "get_weather", result: { temp_c: 21, sky: ["clear", null] } },
        ],
        tools: [
          {
            type: "function",
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } } },
          },
        ],
        systemInstruction: "Be brief.",
        generationConfig: { temperature: 0.2, tool_choice: { allowed_tools: { mode: "any", tools: ["get_weather"] } } },
        agentConfig: { type: "deep-research" },
        previousInteractionId: "prev",
        webhookConfig: { uris: ["https://a.example/x"], user_metadata: { order: "o-42" } },
      });
      await store.interactions.insert(full);
      expect(await store.interactions.get(projectId, full.id)).toEqual(full);
      expect(await store.interactions.get("other-project", full.id)).toBeUndefined();
      const minimal = interaction(projectId, {
        model: undefined,
        agent: "deep-research-pro-preview-12-2025",
        background: false,
        status: "completed",
        endedAt: T0,
      });
      await store.interactions.insert(minimal);
      expect(await store.interactions.get(projectId, minimal.id)).toEqual(minimal);

      const failed: Interaction = {
        ...full,
        status: "failed",
        steps: [...full.steps, { type: "thought", summary: [{ type: "text", text: "hmm" }] }],
        usage: { total_input_tokens: 3, total_output_tokens: 4, total_tokens: 7 },
        error: { code: 14, status: "UNAVAILABLE", message: "upstream down" },
        updatedAt: T0 + 5,
        endedAt: T0 + 5,
      };
      await store.transaction(async (tx) => {
        expect(await tx.interactions.getForUpdate(projectId, full.id)).toEqual(full);
        await tx.interactions.update(failed);
      });
      expect(await store.interactions.get(projectId, full.id)).toEqual(failed);
      expect(await store.interactions.delete(projectId, full.id)).toBe(true);
      expect(await store.interactions.delete(projectId, full.id)).toBe(false);
      expect(await store.interactions.get(projectId, full.id)).toBeUndefined();
    });

    it("marks a paused interaction resumed by its continuation, and reads the mark back", async () => {
      const { store, projectId } = f;
      const paused = interaction(projectId, { status: "requires_action" });
      await store.interactions.insert(paused);
      const resumed: Interaction = { ...paused, resumedBy: "continuation-id", updatedAt: T0 + 1 };
      await store.transaction(async (tx) => {
        await tx.interactions.update(resumed);
        await tx.interactions.insert(interaction(projectId, { previousInteractionId: paused.id }));
      });
      expect(await store.interactions.get(projectId, paused.id)).toEqual(resumed);
      expect(
        (await store.interactions.list(projectId, { pageSize: 10, offset: 0 })).items.find((i) => i.id === paused.id),
      ).toEqual(resumed);
      // Born resumed (a copy), it reads back so too.
      const copy = interaction(projectId, { status: "requires_action", resumedBy: "x" });
      await store.interactions.insert(copy);
      expect(await store.interactions.get(projectId, copy.id)).toEqual(copy);
    });

    it("lists a project's interactions newest first, a page at a time, and none of another project's", async () => {
      const { store, projectId } = f;
      const listed = [0, 1, 2].map((n) => interaction(projectId, { createdAt: T0 + 1_000 + n }));
      for (const i of listed) await store.interactions.insert(i);
      await store.interactions.insert(interaction("other-project", { createdAt: T0 + 2_000 }));
      const all = await store.interactions.list(projectId, { pageSize: 1000, offset: 0 });
      expect(all.items.slice(0, 3).map((i) => i.id)).toEqual([listed[2]!.id, listed[1]!.id, listed[0]!.id]);
      expect(all.items.every((i) => i.projectId === projectId)).toBe(true);
      expect(all.items[0]).toEqual(listed[2]);
      const first = await store.interactions.list(projectId, { pageSize: 2, offset: 0 });
      expect(first.items.map((i) => i.id)).toEqual([listed[2]!.id, listed[1]!.id]);
      expect(first.nextPageToken).toBeDefined();
      const second = await store.interactions.list(projectId, { pageSize: 2, offset: 2 });
      expect(second.items[0]?.id).toBe(listed[0]!.id);
    });

    it("leases background interactions in progress, oldest first, one process at a time", async () => {
      const { store, projectId } = f;
      const older = interaction(projectId, { createdAt: T0 });
      const newer = interaction(projectId, { createdAt: T0 + 1 });
      const paused = interaction(projectId, { createdAt: T0 - 2, status: "requires_action" });
      const foreground = interaction(projectId, { createdAt: T0 - 1, background: false });
      for (const i of [older, newer, paused, foreground]) await store.interactions.insert(i);

      expect((await store.interactions.claim(T0 + 10, T0 + 1000))?.id).toBe(older.id);
      expect((await store.interactions.claim(T0 + 10, T0 + 1000))?.id).toBe(newer.id);
      // A paused one holds no lease and is never claimed: it waits in the store alone.
      expect(await store.interactions.claim(T0 + 10, T0 + 1000)).toBeUndefined();
      expect(await store.interactions.renewLease(older.id, T0 + 5000)).toBe(true);
      // Leases run out: the one not renewed is claimable again, the renewed one is not.
      expect((await store.interactions.claim(T0 + 1001, T0 + 6000))?.id).toBe(newer.id);
      expect(await store.interactions.claim(T0 + 2001, T0 + 3000)).toBeUndefined();
      expect(await store.interactions.releaseAll()).toBe(2);
      expect((await store.interactions.claim(T0 + 2001, T0 + 3000))?.id).toBe(older.id);
    });

    it("ends the run lease when the interaction stops running", async () => {
      const { store, projectId } = f;
      const running = interaction(projectId);
      await store.interactions.insert(running);
      await store.interactions.claim(T0, T0 + 60_000);
      await store.interactions.update({ ...running, status: "requires_action", updatedAt: T0 + 1 });
      expect(await store.interactions.releaseAll()).toBe(0);
      expect(await store.interactions.renewLease(running.id, T0 + 90_000)).toBe(false);
      expect(await store.interactions.releaseAll()).toBe(0);
    });
  });
}
