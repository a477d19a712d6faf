import { randomBytes } from "node:crypto";

const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomString(alphabet: string, length: number): string {
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
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
