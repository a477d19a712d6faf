import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signatureHeader, signStandardWebhook } from "../../src/signing/standard-webhooks.js";

interface Vector {
  secret: string;
  msg_id: string;
  timestamp: number;
  payload: string;
  signature: string;
}
const fixtures = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../../sdk/test/fixtures/standard-webhooks-vectors.json"), "utf8"),
) as {
  sign: Vector[];
};

describe("Standard Webhooks signing", () => {
  it.each(fixtures.sign)("reproduces the official vector for $msg_id", (v) => {
    expect(signStandardWebhook(v.secret, v.msg_id, v.timestamp, v.payload)).toBe(v.signature);
  });

  it("signs with every given secret, each verifiable on its own", () => {
    const secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"];
    const ts = Math.floor(Date.now() / 1000);
    const header = signatureHeader(secrets, "msg_1", ts, "{}");
    expect(header.split(" ")).toHaveLength(2);
    for (const secret of secrets) {
      expect(() => new Webhook(secret).verify("{}", { "webhook-id": "msg_1", "webhook-timestamp": String(ts), "webhook-signature": header })).not.toThrow();
    }
  });
});
