import { describe, expect, it } from "vitest";
import { EndpointSlots } from "../../../src/delivery/sender-thread/endpoint-slots.js";

const settled = async <T>(promises: Promise<T>[]): Promise<(T | "waiting")[]> => {
  const marks = promises.map((p) => Promise.race([p, new Promise<"waiting">((r) => setImmediate(() => r("waiting")))]));
  return Promise.all(marks);
};

describe("EndpointSlots", () => {
  it("grants an endpoint its size at once, then one per release, oldest first; endpoints apart", async () => {
    const slots = new EndpointSlots();
    const a = [1, 2, 3, 4].map(() => slots.acquire("a", 2));
    const b = slots.acquire("b", 1);
    expect(await settled(a)).toEqual([true, true, "waiting", "waiting"]);
    expect(await settled([b])).toEqual([true]);
    slots.release("a");
    expect(await settled(a)).toEqual([true, true, true, "waiting"]);
    slots.release("a");
    expect(await settled(a)).toEqual([true, true, true, true]);
    // All four released: the endpoint starts afresh with its whole size.
    for (let i = 0; i < 4; i++) slots.release("a");
    expect(await settled([slots.acquire("a", 2), slots.acquire("a", 2), slots.acquire("a", 2)])).toEqual([
      true,
      true,
      "waiting",
    ]);
  });

  it("withdraws what waits, and lets what runs go on holding its slot", async () => {
    const slots = new EndpointSlots();
    const a = [1, 2, 3].map(() => slots.acquire("a", 1));
    slots.withdrawAll();
    expect(await settled(a)).toEqual([true, false, false]);
    const next = slots.acquire("a", 1);
    expect(await settled([next])).toEqual(["waiting"]);
    slots.release("a");
    expect(await settled([next])).toEqual([true]);
  });
});
