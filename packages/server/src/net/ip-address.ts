import { isIP } from "node:net";

/** An IP address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/** Parses a literal IP (IPv6 with or without brackets or a zone); undefined when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  switch (isIP(bare)) {
    case 4:
      return { family: 4, value: parseV4(bare) };
    case 6:
      return { family: 6, value: parseV6(bare) };
    default:
      return undefined;
  }
}

/** `10.0.0.0/8`, `fc00::/7`; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const ip = match ? parseIp(match[1]!) : undefined;
  const prefix = Number(match?.[2]);
  if (ip === undefined || prefix > bits(ip.family)) return undefined;
  return { family: ip.family, network: ip.value, prefix };
}

export function inCidr(address: IpAddress, cidr: Cidr): boolean {
  if (address.family !== cidr.family) return false;
  const hostBits = BigInt(bits(cidr.family) - cidr.prefix);
  return address.value >> hostBits === cidr.network >> hostBits;
}

export function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function parseV4(text: string): bigint {
  return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** Expects text that isIP accepted as IPv6. */
function parseV6(text: string): bigint {
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  let hex = text;
  if (dotted !== undefined) {
    const v4 = parseV4(dotted);
    hex = `${text.slice(0, -dotted.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [left, right] = hex.split("::");
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const head = groups(left);
  const tail = groups(right);
  const all = right === undefined ? head : [...head, ...Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
  return all.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}
