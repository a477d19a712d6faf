import { BlockList, isIP } from "node:net";

/** Ranges no webhook may reach (SSRF): loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved. */
const BLOCKED_V4: [string, number][] = [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
];
const BLOCKED_V6: [string, number][] = [
  ["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["64:ff9b::", 96], ["100::", 64],
];
export const DEV_ALLOWED_CIDRS = ["127.0.0.0/8", "::1/128"];

/** Decides which addresses a delivery may connect to. Checked on the address actually connected, so DNS rebinding fails. */
export class AddressPolicy {
  private readonly blocked = new BlockList();
  private readonly allowed = new BlockList();

  constructor(allowedCidrs: readonly string[]) {
    for (const [net, prefix] of BLOCKED_V4) this.blocked.addSubnet(net, prefix, "ipv4");
    for (const [net, prefix] of BLOCKED_V6) this.blocked.addSubnet(net, prefix, "ipv6");
    for (const cidr of allowedCidrs) {
      const [net, prefix] = cidr.split("/");
      const family = isIP(net ?? "");
      if (family === 0 || prefix === undefined || !/^\d+$/.test(prefix)) {
        throw new Error(`TIDINGS_ALLOWED_CIDRS: "${cidr}" is not a CIDR such as 10.0.0.0/8 or ::1/128`);
      }
      this.allowed.addSubnet(net as string, Number(prefix), family === 4 ? "ipv4" : "ipv6");
    }
  }

  /** Undefined when `address` (a literal IP) may be reached, else why not. */
  refusal(address: string): string | undefined {
    const family = isIP(address);
    if (family === 0) return `"${address}" is not an IP address`;
    const type = family === 4 ? "ipv4" : "ipv6";
    const mapped = type === "ipv6" ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
    if (mapped !== undefined) return this.refusal(mapped);
    if (this.allowed.check(address, type)) return undefined;
    if (this.blocked.check(address, type)) {
      return `${address} is a loopback, private, link-local or reserved address; allow it with TIDINGS_ALLOWED_CIDRS or TIDINGS_DEV=1`;
    }
    return undefined;
  }
}
