import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddressPolicy } from "../../src/net/address-policy.js";
import { HttpSender } from "../../src/delivery/sender.js";
import { systemClock } from "../../src/runtime/system-clock.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

const post = (sender: HttpSender, uri: string) =>
  sender.send({ uri, headers: { "content-type": "application/json" }, body: "{}" });

describe("SSRF guard at delivery time", () => {
  it("refuses a host name that resolves to a loopback address, checked on the address connected", async () => {
    const sender = new HttpSender({ policy: new AddressPolicy([]), timeoutMs: 2000, clock: systemClock });
    const byName = await post(sender, receiver.url.replace("127.0.0.1", "localhost"));
    expect(byName).toMatchObject({ kind: "error" });
    expect(byName.kind === "error" && byName.error).toMatch(/refused/);
    const literal = await post(sender, receiver.url);
    expect(literal.kind === "error" && literal.error).toMatch(/refused/);
    expect(receiver.received).toHaveLength(0);
    await sender.close();
  });

  it("lets allowed CIDRs through", async () => {
    const sender = new HttpSender({ policy: new AddressPolicy(["127.0.0.0/8"]), timeoutMs: 2000, clock: systemClock });
    expect(await post(sender, receiver.url.replace("127.0.0.1", "localhost"))).toMatchObject({
      kind: "response",
      statusCode: 200,
    });
    expect(await post(sender, receiver.url)).toMatchObject({ kind: "response", statusCode: 200 });
    await sender.close();
  });
});
