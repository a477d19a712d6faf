import { randomBytes } from "node:crypto";

const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random bytes drawn from a pooled buffer: one system call per few hundred ids instead of one per id. */
let pool = randomBytes(0);
let offset = 0;
function nextByte(): number {
  if (offset >= pool.length) {
    pool = randomBytes(8192);
    offset = 0;
  }
  return pool[offset++] as number;
}

function randomString(alphabet: string, length: number): string {
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    const byte = nextByte();
    if (byte < limit) out += alphabet[byte % alphabet.length];
  }
  return out;
}

/**
 * Resource ids: 36 characters of `[a-z0-9]`, as the Gemini webhooks surface uses. The first 9 are the creation
 * time (base-36 milliseconds), the other 27 random (139 bits): ids made one after another sort together, so an index
 * of them (a table's primary key, the events' index by operation) grows at its end instead of at random places,
 * which is what a write to a random page costs (docs/store.md).
 */
export function newResourceId(now: number): string {
  return Math.max(0, Math.floor(now)).toString(36).padStart(9, "0").slice(-9) + randomString(LOWER_ALNUM, 27);
}

/**
 * An event's id doubles as the `webhook-id` header: `msg_` + 27 characters. They are its key in the store (11
 * base-62 digits), so finding it by id reads no index, then a random tag of 16 characters that keeps ids unique
 * across installations (a receiver deduplicates by this id) and unguessable from the key alone (docs/store.md).
 */
const KEY_DIGITS = 11;
const TAG_LENGTH = 16;
const EVENT_ID = /^msg_([0-9A-Za-z]{11})([0-9A-Za-z]{16})$/;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function newEventTag(): string {
  return randomString(ALNUM, TAG_LENGTH);
}

export function eventId(key: number, tag: string): string {
  let digits = "";
  for (let n = key; n > 0; n = Math.floor(n / 62)) digits = BASE62[n % 62] + digits;
  return `msg_${digits.padStart(KEY_DIGITS, "0")}${tag}`;
}

/** The key and tag an event id was made of; undefined for any other string (a 0.1 event's random id, say). */
export function parseEventId(id: string): { key: number; tag: string } | undefined {
  const match = EVENT_ID.exec(id);
  if (match === null) return undefined;
  let key = 0;
  for (const digit of match[1] as string) key = key * 62 + BASE62.indexOf(digit);
  return Number.isSafeInteger(key) ? { key, tag: match[2] as string } : undefined;
}

/**
 * A delivery's key is its event's key × 65,536 plus its number among that event's deliveries, so an event's
 * deliveries are one range of keys. Its id is that key in base 36, 11 characters.
 */
export const DELIVERIES_PER_EVENT = 65_536;

export function deliveryKey(eventKey: number, n: number): number {
  return eventKey * DELIVERIES_PER_EVENT + n;
}

export function eventKeyOf(deliveryKey: number): number {
  return Math.floor(deliveryKey / DELIVERIES_PER_EVENT);
}

export function deliveryId(key: number): string {
  return key.toString(36).padStart(11, "0");
}

export function parseDeliveryId(id: string): number | undefined {
  if (!/^[0-9a-z]{11}$/.test(id)) return undefined;
  const key = Number.parseInt(id, 36);
  return Number.isSafeInteger(key) ? key : undefined;
}

export function newSecretBytes(): Buffer {
  return randomBytes(32);
}

export function newApiKey(): string {
  return `tdk_${randomString(ALNUM, 40)}`;
}
