import { describe, expect, it } from "vitest";
import { TidingsError } from "../../src/core/errors.js";
import { AddressPolicy } from "../../src/net/address-policy.js";
import { validateTargetUri } from "../../src/services/target-uri.js";

const rules = (allowHttp: boolean) => ({ allowHttp, policy: new AddressPolicy(allowHttp ? ["127.0.0.0/8"] : []) });

function refusal(uri: string, allowHttp: boolean): string {
  try {
    validateTargetUri(uri, "uri", rules(allowHttp));
  } catch (err) {
    expect(err).toBeInstanceOf(TidingsError);
    return (err as TidingsError).message;
  }
  throw new Error(`${uri} was accepted`);
}

describe("a webhook target's scheme", () => {
  it("refuses ftp:// and other schemes for what they are, in dev mode too, not as plain http", () => {
    for (const dev of [false, true]) {
      const message = refusal("ftp://files.example.com/drop", dev);
      expect(message).toContain("(got ftp)");
      expect(message).toContain("delivered as HTTP POST requests");
      expect(message).not.toContain("dev mode");
      expect(refusal("mailto:ops@example.com", dev)).toContain("(got mailto)");
    }
    expect(refusal("ftp://files.example.com/drop", true)).toContain("must be an https or http URL");
    expect(refusal("ftp://files.example.com/drop", false)).toContain("must be an https URL");
  });

  it("tells plain http apart: allowed in dev mode only, and the refusal says how to allow it", () => {
    expect(refusal("http://hooks.example.com/h", false)).toMatch(
      /plain http is only allowed in dev mode \(TIDINGS_DEV=1\)/,
    );
    expect(validateTargetUri("http://hooks.example.com/h", "uri", rules(true))).toBe("http://hooks.example.com/h");
    expect(validateTargetUri("https://hooks.example.com/h", "uri", rules(false))).toBe("https://hooks.example.com/h");
  });
});
