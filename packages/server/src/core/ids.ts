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

/** Resource ids: 36 characters of `[a-z0-9]`, as the Gemini webhooks surface uses. */
export function newResourceId(): string {
  return randomString(LOWER_ALNUM, 36);
}

/** Event ids double as the `webhook-id` header: `msg_` + 27 characters. */
export function newEventId(): string {
  return `msg_${randomString(ALNUM, 27)}`;
}

export function newSecretBytes(): Buffer {
  return randomBytes(32);
}

export function newApiKey(): string {
  return `tdk_${randomString(ALNUM, 40)}`;
}
