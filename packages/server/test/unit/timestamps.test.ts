import { describe, expect, it } from "vitest";
import { parseDuration, parseRfc3339 } from "../../src/core/timestamps.js";

describe("parseRfc3339", () => {
  it("reads RFC 3339 date-times with a zone, to the millisecond", () => {
    expect(parseRfc3339("2026-05-04T12:00:00Z")).toBe(Date.UTC(2026, 4, 4, 12));
    expect(parseRfc3339("2026-05-04t12:00:00.123456789z")).toBe(Date.UTC(2026, 4, 4, 12, 0, 0, 123));
    expect(parseRfc3339("2026-05-04T14:00:00+02:00")).toBe(Date.UTC(2026, 4, 4, 12));
    expect(parseRfc3339("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
  });

  it("refuses anything else rather than guess", () => {
    for (const text of [
      "12345",
      "tomorrow",
      "2026-05-04",
      "2026-05-04T12:00:00",
      "2026-05-04 12:00:00Z",
      "2026-02-30T00:00:00Z",
      "2025-02-29T00:00:00Z",
      "2026-05-04T24:00:00Z",
      "2026-05-04T12:00:60Z",
      "2026-05-04T12:00:00+24:00",
      "+012026-05-04T12:00:00Z",
    ]) {
      expect(parseRfc3339(text), text).toBeUndefined();
    }
  });
});

describe("parseDuration", () => {
  it("reads google.protobuf.Duration seconds", () => {
    expect(parseDuration("3600s")).toBe(3_600_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("0s")).toBe(0);
  });

  it("refuses other forms", () => {
    for (const text of ["1h", "3600", "-5s", "s", "1.s", "1e3s"]) expect(parseDuration(text), text).toBeUndefined();
  });
});
