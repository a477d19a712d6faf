import { describe, expect, it } from "vitest";
import { nextTurn } from "../../../src/runtime/sleep.js";
import { TurnOutbox } from "../../../src/runtime/turn-outbox.js";

describe("TurnOutbox", () => {
  it("hands on what one turn gathered once, at the next turn, and the next turn's items separately", async () => {
    const handed: number[][] = [];
    const outbox = new TurnOutbox<number>((items) => handed.push(items));
    for (let n = 0; n < 100; n++) outbox.push(n);
    expect(handed).toEqual([]);
    await nextTurn();
    expect(handed).toEqual([Array.from({ length: 100 }, (_, n) => n)]);
    outbox.push(100);
    await nextTurn();
    expect(handed).toEqual([Array.from({ length: 100 }, (_, n) => n), [100]]);
  });

  it("flushes at once when asked, shows what it holds meanwhile, and never hands on an empty batch", async () => {
    const handed: string[][] = [];
    const outbox = new TurnOutbox<string>((items) => handed.push(items));
    outbox.push("a");
    outbox.push("b");
    expect(outbox.gathered).toEqual(["a", "b"]);
    outbox.flush();
    expect(handed).toEqual([["a", "b"]]);
    expect(outbox.gathered).toEqual([]);
    await nextTurn();
    outbox.flush();
    expect(handed).toEqual([["a", "b"]]);
  });
});
