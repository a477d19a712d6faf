import ipaddr from "ipaddr.js";
import { boundedMemo } from "../runtime/bounded-memo.js";
import { inCidr, parseCidr, parseIp, type Cidr, type IpAddress } from "./ip-address.js";

/**
 * IPv4 ranges no webhook may reach: every entry of IANA's IPv4 Special-Purpose Address Registry that is
 * not globally reachable (a covering range where entries nest), plus multicast.
 */
const REFUSED_V4: [string, string][] = [
  ["0.0.0.0/8", "this network"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "shared address space (CGNAT)"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local (cloud metadata)"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "IETF protocol assignments"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "deprecated 6to4 relay anycast"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved, and broadcast"],
];

/**
 * IPv6 ranges refused outright: the IANA IPv6 Special-Purpose Address Registry's entries that are not
 * globally reachable, plus multicast and the deprecated site-local range. Forms that embed an IPv4
 * address are judged by that address instead (below). 64:ff9b:1::/48 is refused whatever it embeds:
 * it is a translator inside the operator's own network (RFC 8215).
 */
const REFUSED_V6: [string, string][] = [
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["64:ff9b:1::/48", "local-use IPv4/IPv6 translation"],
  ["100::/64", "discard-only"],
  ["100:0:0:1::/64", "dummy prefix"],
  ["2001::/23", "IETF protocol assignments"],
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["5f00::/16", "segment routing SIDs"],
  ["fc00::/7", "unique-local (private)"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local"],
  ["ff00::/8", "multicast"],
];

/** Outside it, no IPv6 address is assigned for global unicast (other than the IPv4 embeddings below). */
const GLOBAL_UNICAST_V6 = cidr("2000::/3");

/** IPv6 forms that carry IPv4 addresses, and how to take them out. */
const EMBEDDINGS: { range: Cidr; name: string; extract: (bytes: number[]) => ipaddr.IPv4[] }[] = [
  { range: cidr("::ffff:0:0/96"), name: "IPv4-mapped", extract: (b) => [v4At(b, 12)] },
  { range: cidr("::ffff:0:0:0/96"), name: "IPv4-translated", extract: (b) => [v4At(b, 12)] },
  // :: and ::1 fall in it too, but they are IPv6's own unspecified and loopback addresses (NOT_EMBEDDINGS).
  { range: cidr("::/96"), name: "IPv4-compatible", extract: (b) => [v4At(b, 12)] },
  { range: cidr("64:ff9b::/96"), name: "NAT64", extract: (b) => [v4At(b, 12)] },
  { range: cidr("2002::/16"), name: "6to4", extract: (b) => [v4At(b, 2)] },
  // Teredo carries the server's address, and the client's with every bit flipped (RFC 4380).
  { range: cidr("2001::/32"), name: "Teredo", extract: (b) => [v4At(b, 4), v4At(b, 12, 0xff)] },
];

/** `::` and `::1`: in ::/96, yet no IPv4 address lives in them; they are judged as IPv6 (refused, unless allowed). */
const NOT_EMBEDDINGS = cidr("::/127");

/** The IPv4 address in the four bytes of an IPv6 address from `offset`, each XORed with `flip`. */
function v4At(bytes: number[], offset: number, flip = 0): ipaddr.IPv4 {
  return new ipaddr.IPv4(bytes.slice(offset, offset + 4).map((byte) => byte ^ flip));
}

export const DEV_ALLOWED_CIDRS = ["127.0.0.0/8", "::1/128"];

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (parsed === undefined) throw new Error(`bad CIDR in the address policy: ${text}`);
  return parsed;
}

/** Addresses whose judgement is remembered; past this many the memory starts again. */
const JUDGEMENTS_KEPT = 10_000;

const REFUSED = [...REFUSED_V4, ...REFUSED_V6].map(([range, name]) => ({ range: cidr(range), text: range, name }));

/**
 * Decides which addresses a webhook may reach (SSRF). Checked on literal IPs at registration and on the
 * address actually connected at delivery, so DNS rebinding fails.
 */
export class AddressPolicy {
  private readonly allowed: Cidr[];
  /** Judgements by address: every attempt asks about its connected address, and the answer never changes. */
  private readonly judged = boundedMemo(JUDGEMENTS_KEPT, (address: string) => this.judge(address));

  constructor(allowedCidrs: readonly string[]) {
    this.allowed = allowedCidrs.map((text) => {
      const parsed = parseCidr(text.trim());
      if (parsed === undefined)
        throw new Error(`TIDINGS_ALLOWED_CIDRS: "${text}" is not a CIDR such as 10.0.0.0/8 or ::1/128`);
      return parsed;
    });
  }

  /** Undefined when `address` (a literal IP) may be reached, else why not. */
  refusal(address: string): string | undefined {
    return this.judged(address);
  }

  private judge(address: string): string | undefined {
    const ip = parseIp(address);
    if (ip === undefined) return `"${address}" is not an IP address`;
    const why = this.problem(ip);
    return why === undefined ? undefined : `${address} ${why}; allow it with TIDINGS_ALLOWED_CIDRS or TIDINGS_DEV=1`;
  }

  /**
   * An address that embeds IPv4 is judged by what it embeds, against the IPv4 entries of the policy and of
   * TIDINGS_ALLOWED_CIDRS only: `::/0` does not let `::ffff:127.0.0.1` through, and `0.0.0.0/0` does not let `::1`.
   */
  private problem(ip: IpAddress): string | undefined {
    if (ip.kind() === "ipv6" && !inCidr(ip, NOT_EMBEDDINGS)) {
      const embedding = EMBEDDINGS.find(({ range }) => inCidr(ip, range));
      if (embedding !== undefined) {
        for (const v4 of embedding.extract(ip.toByteArray())) {
          const why = this.problem(v4);
          if (why !== undefined) return `is ${embedding.name} and embeds ${v4.toString()}, which ${why}`;
        }
        return undefined;
      }
    }
    if (this.allowed.some((range) => inCidr(ip, range))) return undefined;
    const refused = REFUSED.find(({ range }) => inCidr(ip, range));
    if (refused !== undefined) return `is in ${refused.text} (${refused.name}), which webhooks may not reach`;
    if (ip.kind() === "ipv6" && !inCidr(ip, GLOBAL_UNICAST_V6))
      return "is not a global unicast address (2000::/3), which webhooks may not reach";
    return undefined;
  }
}
