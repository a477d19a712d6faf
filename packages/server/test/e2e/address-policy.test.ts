import type { LookupAddress } from "node:dns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpSender } from "../../src/delivery/sender.js";
import { AddressPolicy } from "../../src/net/address-policy.js";
import { systemClock } from "../../src/runtime/system-clock.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { startTidings, type TestServer } from "../helpers/tidings.js";

/**
 * IANA IPv4 Special-Purpose Address Registry (iana-ipv4-special-registry), every entry with its
 * "Globally Reachable" column. N/A (deprecated) counts as not reachable.
 */
const IPV4_REGISTRY: [string, string, boolean][] = [
  ["0.0.0.0/8", "This network", false],
  ["0.0.0.0/32", "This host on this network", false],
  ["10.0.0.0/8", "Private-Use", false],
  ["100.64.0.0/10", "Shared Address Space", false],
  ["127.0.0.0/8", "Loopback", false],
  ["169.254.0.0/16", "Link Local", false],
  ["172.16.0.0/12", "Private-Use", false],
  ["192.0.0.0/24", "IETF Protocol Assignments", false],
  ["192.0.0.0/29", "IPv4 Service Continuity Prefix", false],
  ["192.0.0.8/32", "IPv4 dummy address", false],
  ["192.0.0.9/32", "Port Control Protocol Anycast", true],
  ["192.0.0.10/32", "Traversal Using Relays around NAT Anycast", true],
  ["192.0.0.170/32", "NAT64/DNS64 Discovery", false],
  ["192.0.0.171/32", "NAT64/DNS64 Discovery", false],
  ["192.0.2.0/24", "Documentation (TEST-NET-1)", false],
  ["192.31.196.0/24", "AS112-v4", true],
  ["192.52.193.0/24", "AMT", true],
  ["192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", false],
  ["192.88.99.2/32", "6a44-relay anycast address", true],
  ["192.168.0.0/16", "Private-Use", false],
  ["192.175.48.0/24", "Direct Delegation AS112 Service", true],
  ["198.18.0.0/15", "Benchmarking", false],
  ["198.51.100.0/24", "Documentation (TEST-NET-2)", false],
  ["203.0.113.0/24", "Documentation (TEST-NET-3)", false],
  ["240.0.0.0/4", "Reserved", false],
  ["255.255.255.255/32", "Limited Broadcast", false],
];

/**
 * IANA IPv6 Special-Purpose Address Registry (iana-ipv6-special-registry). Teredo (2001::/32) and 6to4
 * (2002::/16) are N/A there: they are judged by the IPv4 addresses they embed (below).
 */
const IPV6_REGISTRY: [string, string, boolean | "embeds"][] = [
  ["::1/128", "Loopback Address", false],
  ["::/128", "Unspecified Address", false],
  ["::ffff:0:0/96", "IPv4-mapped Address", "embeds"],
  ["64:ff9b::/96", "IPv4-IPv6 Translat.", "embeds"],
  ["64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)", false],
  ["100::/64", "Discard-Only Address Block", false],
  ["100:0:0:1::/64", "Dummy IPv6 Prefix", false],
  ["2001::/23", "IETF Protocol Assignments", false],
  ["2001::/32", "TEREDO", "embeds"],
  ["2001:1::1/128", "Port Control Protocol Anycast", true],
  ["2001:1::2/128", "Traversal Using Relays around NAT Anycast", true],
  ["2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", true],
  ["2001:2::/48", "Benchmarking", false],
  ["2001:3::/32", "AMT", true],
  ["2001:4:112::/48", "AS112-v6", true],
  ["2001:10::/28", "Deprecated (previously ORCHID)", false],
  ["2001:20::/28", "ORCHIDv2", true],
  ["2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", true],
  ["2001:db8::/32", "Documentation", false],
  ["2002::/16", "6to4", "embeds"],
  ["2620:4f:8000::/48", "Direct Delegation AS112 Service", true],
  ["3fff::/20", "Documentation", false],
  ["5f00::/16", "Segment Routing (SRv6) SIDs", false],
  ["fc00::/7", "Unique-Local", false],
  ["fe80::/10", "Link-Local Unicast", false],
];

/** Every IPv6 form that embeds an IPv4 address, built from that address. */
const EMBED: Record<string, (v4: number) => string> = {
  "IPv4-mapped": (v4) => v6([0, 0, 0, 0, 0, 0xffff, v4 >>> 16, v4 & 0xffff]),
  "IPv4-mapped, dotted": (v4) => `::ffff:${dotted(v4)}`,
  "IPv4-compatible": (v4) => `::${dotted(v4)}`,
  "IPv4-translated": (v4) => `::ffff:0:${dotted(v4)}`,
  NAT64: (v4) => `64:ff9b::${dotted(v4)}`,
  "6to4": (v4) => v6([0x2002, v4 >>> 16, v4 & 0xffff, 0, 0, 0, 0, 1]),
  "Teredo server": (v4) => v6([0x2001, 0, v4 >>> 16, v4 & 0xffff, 0, 0, 0xf7ff, 0xfefe]), // client 8.0.1.1 (public)
  "Teredo client": (v4) => v6([0x2001, 0, 0x0808, 0x0808, 0, 0, (~v4 >>> 16) & 0xffff, ~v4 & 0xffff]), // server 8.8.8.8
};

const PUBLIC_V4 = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "192.31.196.1", "192.175.48.1"];
const PUBLIC_V6 = ["2606:4700:4700::1111", "2001:4860:4860::8888", "2620:4f:8000::1", "2a00:1450:4001:80b::200e"];
const PRIVATE_V4 = [
  "127.0.0.1",
  "10.1.2.3",
  "192.168.0.1",
  "172.16.0.1",
  "169.254.169.254",
  "100.64.0.1",
  "0.0.0.0",
  "192.0.0.170",
  "255.255.255.255",
];

function dotted(v4: number): string {
  return [24, 16, 8, 0].map((s) => (v4 >>> s) & 0xff).join(".");
}
function v6(groups: number[]): string {
  return groups.map((g) => g.toString(16)).join(":");
}
function v4Number(text: string): number {
  return text.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** The first and last addresses of a CIDR, as text. */
function bounds(cidr: string): [string, string] {
  const [net, prefixText] = cidr.split("/") as [string, string];
  const prefix = Number(prefixText);
  if (net.includes(".")) {
    const host = 2 ** (32 - prefix) - 1;
    const first = v4Number(net) - (v4Number(net) % (host + 1));
    return [dotted(first), dotted(first + host)];
  }
  const bytes = expand(net);
  const first = bytes.map((b, i) => b & byteMask(prefix, i));
  const last = bytes.map((b, i) => (b & byteMask(prefix, i)) | (~byteMask(prefix, i) & 0xff));
  const text = (b: number[]) => v6(Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!));
  return [text(first), text(last)];
}
function byteMask(prefix: number, index: number): number {
  const bits = Math.max(0, Math.min(8, prefix - index * 8));
  return (0xff << (8 - bits)) & 0xff;
}
function expand(address: string): number[] {
  const [head, tail] = address.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

const policy = new AddressPolicy([]);

describe("address policy: the IANA special-purpose registries", () => {
  const refused = [...IPV4_REGISTRY, ...IPV6_REGISTRY].filter(([, , reachable]) => reachable === false);
  it.each(refused)("refuses %s (%s) from its first address to its last", (cidr) => {
    for (const address of bounds(cidr)) expect(policy.refusal(address), address).toBeDefined();
  });

  it.each(Object.entries(EMBED))("judges %s addresses by the IPv4 address they embed", (_form, build) => {
    for (const inside of PRIVATE_V4) {
      const address = build(v4Number(inside));
      // :: and ::1 are IPv6's own unspecified and loopback addresses, refused as such, not as embeddings.
      if (["::0.0.0.0", "::0.0.0.1"].includes(address)) {
        expect(policy.refusal(address), address).toMatch(/is in ::1?\/128 \((unspecified|loopback)\)/);
        continue;
      }
      expect(policy.refusal(address), `${address} (${inside})`).toMatch(
        new RegExp(`embeds ${inside.replace(/\./g, "\\.")}`),
      );
    }
    for (const outside of PUBLIC_V4) {
      const address = build(v4Number(outside));
      expect(policy.refusal(address), `${address} (${outside})`).toBeUndefined();
    }
  });

  it("accepts public addresses", () => {
    for (const address of [...PUBLIC_V4, ...PUBLIC_V6, "64:ff9b::808:808"])
      expect(policy.refusal(address), address).toBeUndefined();
  });

  it("refuses what is outside IPv6 global unicast, and multicast", () => {
    for (const address of ["4000::1", "1::1", "fec0::1", "ff02::1", "224.0.0.1", "239.255.255.250"])
      expect(policy.refusal(address), address).toBeDefined();
  });

  it("lets TIDINGS_ALLOWED_CIDRS through, also when embedded", () => {
    const dev = new AddressPolicy(["127.0.0.0/8", "::1/128"]);
    for (const address of ["127.0.0.1", "::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1"])
      expect(dev.refusal(address), address).toBeUndefined();
    expect(dev.refusal("10.0.0.1")).toBeDefined();
    expect(() => new AddressPolicy(["not-a-cidr"])).toThrow(/TIDINGS_ALLOWED_CIDRS/);
    expect(() => new AddressPolicy(["10.0.0.0/33"])).toThrow(/TIDINGS_ALLOWED_CIDRS/);
  });

  it("reads ::a.b.c.d as IPv4-compatible (::/96), not IPv4-mapped", () => {
    expect(policy.refusal("::127.0.0.1")).toMatch(/is IPv4-compatible and embeds 127\.0\.0\.1/);
    expect(policy.refusal("::ffff:127.0.0.1")).toMatch(/is IPv4-mapped and embeds 127\.0\.0\.1/);
    const loopbackAllowed = new AddressPolicy(["127.0.0.0/8"]);
    expect(loopbackAllowed.refusal("::ffff:127.0.0.1")).toBeUndefined();
    expect(loopbackAllowed.refusal("::7f00:1")).toBeUndefined();
  });

  it("matches an embedded IPv4 address against the IPv4 entries of TIDINGS_ALLOWED_CIDRS only", () => {
    // ::/0 is every IPv6 address, but not the IPv4 ones some of them carry.
    const everyV6 = new AddressPolicy(["::/0"]);
    for (const address of ["::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1"]) {
      expect(everyV6.refusal(address), address).toMatch(/embeds/);
    }
    expect(everyV6.refusal("fc00::1")).toBeUndefined();
    // 0.0.0.0/0 is every IPv4 address, and ::1 is none of them: it is IPv6's loopback.
    const everyV4 = new AddressPolicy(["0.0.0.0/0"]);
    expect(everyV4.refusal("::1")).toMatch(/is in ::1\/128 \(loopback\)/);
    expect(everyV4.refusal("::")).toMatch(/is in ::\/128 \(unspecified\)/);
    expect(everyV4.refusal("::ffff:127.0.0.1")).toBeUndefined();
    // IPv6 entries naming embedded ranges match nothing embedded: name the IPv4 range instead.
    expect(new AddressPolicy(["::ffff:0:0/96"]).refusal("::ffff:127.0.0.1")).toMatch(/embeds 127\.0\.0\.1/);
    expect(new AddressPolicy(["::127.0.0.0/104"]).refusal("::7f00:1")).toMatch(/embeds 127\.0\.0\.1/);
  });

  it("reads only the literals node:net accepts, not inet_aton's shorthands", () => {
    for (const address of [
      "127.1",
      "0x7f.0.0.1",
      "0177.0.0.1",
      "2130706433",
      "0x08080808",
      "::ffff:0x7f.0.0.1",
      "8.8.8.08",
      "localhost",
    ]) {
      expect(policy.refusal(address), address).toBe(`"${address}" is not an IP address`);
    }
    for (const cidr of ["10.1/8", "0x0a.0.0.0/8", "10.0.0.0", "::/129", "10.0.0.0/8/8"]) {
      expect(() => new AddressPolicy([cidr]), cidr).toThrow(
        `TIDINGS_ALLOWED_CIDRS: "${cidr}" is not a CIDR such as 10.0.0.0/8 or ::1/128`,
      );
    }
  });

  it("judges bracketed literals and zoned addresses by the address alone", () => {
    expect(policy.refusal("[::1]")).toMatch(/^\[::1\] is in ::1\/128 \(loopback\)/);
    expect(policy.refusal("[2606:4700:4700::1111]")).toBeUndefined();
    for (const address of ["fe80::1%eth0", "fe80::1%eth-0", "[fe80::1%25eth0]"]) {
      expect(policy.refusal(address), address).toMatch(/is in fe80::\/10 \(link-local\)/);
    }
    expect(policy.refusal("::ffff:169.254.169.254%eth0")).toMatch(/is IPv4-mapped and embeds 169\.254\.169\.254/);
    expect(new AddressPolicy(["[::1]/128", "fe80::%lo/10"]).refusal("fe80::1%lo")).toBeUndefined();
  });
});

describe("address policy at registration and on the connected address", () => {
  let server: TestServer;
  let receiver: Receiver;
  beforeAll(async () => {
    server = await startTidings({ dev: false, env: { TIDINGS_DEV: "" } });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  const register = (uri: string) => server.api("POST", "/v1/webhooks", { uri, subscribed_events: ["*"] });

  it.each([
    "https://localhost./hook",
    "https://localhost../hook",
    "https://api.localhost./hook",
    "https://[::127.0.0.1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[64:ff9b::a9fe:a9fe]/hook",
    "https://[2002:a9fe:a9fe::1]/hook",
    "https://[2001:0:808:808::80ff:fffe]/hook", // Teredo: client 127.0.0.1, obfuscated
    "https://[2001:0:7f00:1::f7ff:fefe]/hook", // Teredo: server 127.0.0.1
    "https://[64:ff9b:1::808:808]/hook",
    "https://192.0.2.1/hook",
  ])("refuses %s with a 400 naming uri", async (uri) => {
    const res = await register(uri);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.details[0].fieldViolations[0].field).toBe("uri");
  });

  it("accepts a public literal", async () => {
    expect((await register("https://[2606:4700:4700::1111]/hook")).status).toBe(200);
  });

  it("refuses a host name whose DNS answer embeds a private IPv4 address, without connecting; the address goes to the log only", async () => {
    const port = new URL(receiver.url).port;
    for (const answer of [
      "::ffff:127.0.0.1",
      "::127.0.0.1",
      "2002:7f00:1::1",
      "2001:0:808:808::80ff:fffe",
      "64:ff9b::7f00:1",
    ]) {
      const resolve = ((_host: string, _options: unknown, callback: (err: null, addresses: LookupAddress[]) => void) =>
        callback(null, [{ address: answer, family: 6 }])) as unknown as typeof import("node:dns").lookup;
      const logged: string[] = [];
      const sender = new HttpSender({
        policy: new AddressPolicy([]),
        timeoutMs: 2000,
        clock: systemClock,
        resolve,
        onRefusal: (host, why) => logged.push(`${host}: ${why}`),
      });
      const result = await sender.send({ uri: `http://rebind.example:${port}/hook`, headers: {}, body: "{}" });
      // What the tenant reads in the attempt's error names no internal address.
      const error = result.kind === "error" ? result.error : "";
      expect(error, answer).toMatch(/refused: rebind\.example resolves to a non-public address$/);
      expect(error).not.toContain("127.0.0.1");
      expect(error).not.toContain(answer);
      expect(logged, answer).toEqual([expect.stringMatching(/^rebind\.example: .*embeds 127\.0\.0\.1/)]);
      await sender.close();
    }
    for (const literal of ["[::ffff:7f00:1]", "[::7f00:1]", "[2002:7f00:1::]"]) {
      const sender = new HttpSender({ policy: new AddressPolicy([]), timeoutMs: 2000, clock: systemClock });
      const result = await sender.send({ uri: `http://${literal}:${port}/hook`, headers: {}, body: "{}" });
      expect(result.kind === "error" && result.error, literal).toMatch(/refused/);
      await sender.close();
    }
    expect(receiver.received).toHaveLength(0);
  });
});
