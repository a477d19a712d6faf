import { describe, expect, it } from "vitest";
import { boundedMemo } from "../../../src/runtime/bounded-memo.js";

describe("boundedMemo", () => {
  it("computes each key once, an undefined answer included", () => {
    const asked: string[] = [];
    const memo = boundedMemo(10, (key: string) => {
      asked.push(key);
      return key === "none" ? undefined : key.length;
    });
    expect([memo("abc"), memo("abc"), memo("none"), memo("none")]).toEqual([3, 3, undefined, undefined]);
    expect(asked).toEqual(["abc", "none"]);
  });

  it("starts its memory again past its limit, and computes again what it forgot", () => {
    const asked: number[] = [];
    const memo = boundedMemo(2, (key: number) => {
      asked.push(key);
      return key * 2;
    });
    for (const key of [1, 2, 3, 1]) memo(key);
    expect(asked).toEqual([1, 2, 3, 1]);
    memo(3);
    memo(1);
    expect(asked).toEqual([1, 2, 3, 1]);
  });
});
