import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Reading IP literals and CIDRs with ipaddr.js, narrowed to what the socket layer itself would take. What
 * stays here is what ipaddr.js does differently from node:net, on purpose or not (see each function).
 */

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
export type Cidr = [network: IpAddress, prefix: number];

/**
 * Parses a literal IP (IPv6 with or without brackets or a zone); undefined when it is not one. Only the forms
 * node:net accepts count: ipaddr.js also reads inet_aton's shorthands (`127.1`, `0x7f.0.0.1`, `2130706433`),
 * which no URL host or DNS answer carries here, so they stay "not an IP address". The zone names an interface,
 * not part of the address, and ipaddr.js would refuse some that node:net takes (`%eth-0`), so it is dropped.
 */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  if (isIP(bare) === 0) return undefined;
  // ipaddr.js reads the deprecated IPv4-compatible form `::a.b.c.d` as IPv4-mapped (::ffff:a.b.c.d);
  // RFC 4291 §2.5.5.1 puts it in ::/96, as node:net does.
  const compatible = /^::(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1];
  if (compatible !== undefined)
    return new ipaddr.IPv6([...Array<number>(12).fill(0), ...ipaddr.IPv4.parse(compatible).octets]);
  return ipaddr.parse(bare);
}

/** `10.0.0.0/8`, `fc00::/7`, the address read as `parseIp` reads it; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [, address = "", prefixText = ""] = /^([^/]+)\/(\d{1,3})$/.exec(text) ?? [];
  const ip = parseIp(address);
  const prefix = Number(prefixText);
  if (ip === undefined || prefix > (ip.kind() === "ipv4" ? 32 : 128)) return undefined;
  return [ip, prefix];
}

/** Whether `address` is in `cidr`; ipaddr.js's `match` throws across families, where the answer is no. */
export function inCidr(address: IpAddress, cidr: Cidr): boolean {
  return address.kind() === cidr[0].kind() && address.match(cidr);
}
