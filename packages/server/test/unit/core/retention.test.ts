import { describe, expect, it } from "vitest";
import {
  addPurged,
  MAX_SWEEP_INTERVAL_MS,
  parseHumanDuration,
  retentionCutoff,
  sweepIntervalMs,
} from "../../../src/core/retention.js";
import { fieldsToUpdate } from "../../../src/core/update-mask.js";

describe("retention", () => {
  it("reads durations such as 90s, 15m, 12h and 30d, and nothing else", () => {
    expect(parseHumanDuration("90s")).toBe(90_000);
    expect(parseHumanDuration("15m")).toBe(900_000);
    expect(parseHumanDuration("12h")).toBe(43_200_000);
    expect(parseHumanDuration("30d")).toBe(2_592_000_000);
    for (const bad of ["", "30", "0d", "-1d", "1.5h", "1w", "30 days", "86400s0"])
      expect(parseHumanDuration(bad), bad).toBeUndefined();
  });

  it("sweeps every quarter of the shortest retention, at most every 10 minutes, at least every second", () => {
    expect(sweepIntervalMs([30 * 86_400_000])).toBe(MAX_SWEEP_INTERVAL_MS);
    expect(sweepIntervalMs([30 * 86_400_000, 120_000])).toBe(30_000);
    expect(sweepIntervalMs([2000])).toBe(1000);
    expect(retentionCutoff(10_000, 4000)).toBe(6000);
  });

  it("adds up what steps purged", () => {
    expect(addPurged({ events: 1, deliveries: 2 }, { events: 3, files: 1 })).toEqual({
      events: 4,
      deliveries: 2,
      files: 1,
    });
  });

  it("updates the fields an update_mask names, in either spelling, else those in the body; an unknown one is a 400 naming the mask", () => {
    const updatable = ["name", "subscribed_events"] as const;
    expect(fieldsToUpdate("subscribedEvents, name", updatable, {})).toEqual(["subscribed_events", "name"]);
    expect(fieldsToUpdate(undefined, updatable, { name: "x" })).toEqual(["name"]);
    expect(() => fieldsToUpdate("colour", updatable, {})).toThrow(/update_mask: "colour" cannot be updated/);
  });
});
