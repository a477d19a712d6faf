import type { Interaction } from "@tidings/sdk/contract";
import { describe, expect, it } from "vitest";
import { describeInteraction } from "../../../src/cli/interactions.js";

const base: Interaction = {
  id: "int1",
  object: "interaction",
  status: "requires_action",
  created: "2026-05-04T12:00:00Z",
  updated: "2026-05-04T12:00:00Z",
  steps: [{ type: "function_call", id: "call_1", name: "get_weather", arguments: { city: "Paris" } }],
};

describe("tidings interactions get", () => {
  it("shows an interaction that waits for results with its calls", () => {
    const text = describeInteraction(base);
    expect(text.split("\n")[0]).toBe("int1  requires_action");
    expect(text).toContain('waits for get_weather({"city":"Paris"})');
  });

  it("shows an answered interaction as resumed, with the interaction that continues it", () => {
    const text = describeInteraction({ ...base, resumed_by: "int2" });
    expect(text.split("\n")[0]).toBe("int1  resumed");
    expect(text).toContain("continued by interaction int2: tidings interactions get int2");
    expect(text).not.toContain("waits for");
  });
});
