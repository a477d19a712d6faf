import { describe, expect, it } from "vitest";
import { TidingsError } from "../../../src/core/errors.js";
import { judgeRetry, newClaim, readIdempotencyKey, requestFingerprint } from "../../../src/core/idempotency.js";

const request = {
  method: "POST",
  route: "/v1/operations",
  params: {},
  query: {},
  body: { type: "export", metadata: { a: 1, b: [1, { c: 2, d: 3 }] } },
};

describe("Idempotency-Key", () => {
  it("reads one key of 1 to 255 characters; anything else is a 400 naming the header", () => {
    expect(readIdempotencyKey(undefined)).toBeUndefined();
    expect(readIdempotencyKey("k".repeat(255))).toBe("k".repeat(255));
    for (const bad of ["", "  ", "k".repeat(256), ["a", "b"]]) {
      try {
        readIdempotencyKey(bad);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(TidingsError);
        expect((err as TidingsError).field).toBe("Idempotency-Key");
        expect((err as TidingsError).status).toBe("INVALID_ARGUMENT");
      }
    }
  });

  it("fingerprints a request by meaning: key order does not matter; method, route, params, query and body do", () => {
    const same = { ...request, body: { metadata: { b: [1, { d: 3, c: 2 }], a: 1 }, type: "export" } };
    expect(requestFingerprint(same)).toBe(requestFingerprint(request));
    for (const other of [
      { ...request, body: { ...request.body, type: "import" } },
      { ...request, body: { ...request.body, metadata: { a: 1, b: [{ c: 2, d: 3 }, 1] } } },
      { ...request, route: "/v1/webhooks" },
      { ...request, params: { id: "x" } },
      { ...request, query: { q: "1" } },
      { ...request, method: "PUT" },
      { ...request, body: undefined },
    ]) {
      expect(requestFingerprint(other)).not.toBe(requestFingerprint(request));
    }
    expect(requestFingerprint({ ...request, body: Buffer.from("{}") })).not.toBe(
      requestFingerprint({ ...request, body: {} }),
    );
    expect(requestFingerprint({ ...request, body: Buffer.from("{}") })).toBe(
      requestFingerprint({ ...request, body: Buffer.from("{}") }),
    );
  });

  it("replays an answered key, waits on one in flight, and refuses another request under the key", () => {
    const claim = newClaim("project:p", "k", "fp", "owner", 1000);
    expect(claim).toMatchObject({ createdAt: 1000, expiresAt: 1000 + 24 * 3600_000, lockedUntil: 1000 + 30_000 });
    expect(judgeRetry(claim, "fp")).toBe("wait");
    expect(judgeRetry({ ...claim, lockedUntil: undefined, sealedResponse: "v1.x" }, "fp")).toBe("replay");
    expect(() => judgeRetry({ ...claim, sealedResponse: "v1.x" }, "other")).toThrow(
      /Idempotency-Key: "k" was sent with another request/,
    );
    expect(() => judgeRetry(claim, "other")).toThrow(TidingsError);
  });
});
