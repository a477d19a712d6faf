import { describe, expect, it } from "vitest";
import { ParkedDeliveries } from "../../../src/delivery/parked.js";

describe("ParkedDeliveries", () => {
  it("gives each endpoint's keys back oldest first, in takes of any size, and counts what is parked", () => {
    const parked = new ParkedDeliveries();
    for (let key = 0; key < 5000; key++) parked.park("webhook:a", key);
    parked.park("webhook:b", 9);
    expect(parked.size).toBe(5001);
    const taken: number[] = [];
    // Past 1,024 taken the line drops what was taken; the order holds across that.
    while (parked.sizeOf("webhook:a") > 0) taken.push(...parked.take("webhook:a", 700));
    expect(taken).toEqual(Array.from({ length: 5000 }, (_, key) => key));
    expect(parked.endpoints()).toEqual(["webhook:b"]);
    expect(parked.take("webhook:a", 10)).toEqual([]);
    expect(parked.size).toBe(1);
  });

  it("puts keys back ahead of those parked since, and gives everything up at once", () => {
    const parked = new ParkedDeliveries();
    for (const key of [1, 2, 3, 4]) parked.park("webhook:a", key);
    const taken = parked.take("webhook:a", 2);
    parked.park("webhook:a", 5);
    parked.putBack("webhook:a", taken);
    parked.putBack("origin:https://b.example", [7]);
    expect(parked.size).toBe(6);
    expect(parked.takeAll()).toEqual([
      { endpointKey: "webhook:a", key: 1 },
      { endpointKey: "webhook:a", key: 2 },
      { endpointKey: "webhook:a", key: 3 },
      { endpointKey: "webhook:a", key: 4 },
      { endpointKey: "webhook:a", key: 5 },
      { endpointKey: "origin:https://b.example", key: 7 },
    ]);
    expect(parked.size).toBe(0);
    expect(parked.endpoints()).toEqual([]);
  });
});
