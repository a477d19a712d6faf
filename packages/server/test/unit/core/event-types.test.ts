import { describe, expect, it } from "vitest";
import { customTypeProblem, subscriptionMatches, validateSubscription } from "../../../src/core/event-types.js";

describe("subscriptions", () => {
  it("match exact types, prefix patterns and *", () => {
    expect(subscriptionMatches(["batch.succeeded"], "batch.succeeded")).toBe(true);
    expect(subscriptionMatches(["batch.*"], "batch.failed")).toBe(true);
    expect(subscriptionMatches(["batch.*"], "batchx.failed")).toBe(false);
    expect(subscriptionMatches(["*"], "export.expired")).toBe(true);
    expect(subscriptionMatches(["export.succeeded"], "export.failed")).toBe(false);
    expect(subscriptionMatches([], "export.failed")).toBe(false);
  });

  it("accept built-in, custom and pattern entries and name anything else", () => {
    for (const entry of ["*", "batch.*", "interaction.requires_action", "export.succeeded", "render_v2.expired"])
      expect(() => validateSubscription(entry, "f")).not.toThrow();
    expect(() => validateSubscription("batch.done", "subscribed_events[1]")).toThrow(
      /subscribed_events\[1\]: unknown event type "batch.done"/,
    );
    expect(() => validateSubscription("Export.succeeded", "f")).toThrow();
  });
});

describe("custom operation types", () => {
  it("are lower-case identifiers that are not reserved", () => {
    expect(customTypeProblem("export")).toBeUndefined();
    expect(customTypeProblem("Export")).toMatch(/must match/);
    expect(customTypeProblem("batch")).toMatch(/reserved/);
  });
});
