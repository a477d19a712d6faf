import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddressPolicy } from "../src/delivery/address-policy.js";
import { HttpSender } from "../src/delivery/sender.js";
import { startReceiver, type Receiver } from "./helpers/receiver.js";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

const post = (sender: HttpSender, uri: string) => sender.send({ uri, headers: { "content-type": "application/json" }, body: "{}" });

describe("SSRF guard at delivery time", () => {
  it("refuses a host name that resolves to a loopback address, checked on the address connected", async () => {
    const sender = new HttpSender(new AddressPolicy([]), 2000);
    const byName = await post(sender, receiver.url.replace("127.0.0.1", "localhost"));
    expect(byName).toMatchObject({ kind: "error" });
    expect(byName.kind === "error" && byName.error).toMatch(/refused/);
    const literal = await post(sender, receiver.url);
    expect(literal.kind === "error" && literal.error).toMatch(/refused/);
    expect(receiver.received).toHaveLength(0);
    await sender.close();
  });

  it("lets allowed CIDRs through", async () => {
    const sender = new HttpSender(new AddressPolicy(["127.0.0.0/8"]), 2000);
    expect(await post(sender, receiver.url.replace("127.0.0.1", "localhost"))).toMatchObject({ kind: "response", statusCode: 200 });
    expect(await post(sender, receiver.url)).toMatchObject({ kind: "response", statusCode: 200 });
    await sender.close();
  });

  it("classifies addresses", () => {
    const policy = new AddressPolicy([]);
    for (const blocked of ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "0.0.0.0"]) {
      expect(policy.refusal(blocked), blocked).toBeDefined();
    }
    for (const open of ["93.184.216.34", "8.8.8.8", "2606:4700::1111"]) expect(policy.refusal(open), open).toBeUndefined();
    expect(() => new AddressPolicy(["not-a-cidr"])).toThrow(/TIDINGS_ALLOWED_CIDRS/);
  });
});
