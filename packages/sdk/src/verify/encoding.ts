/**
 * Base64 and UTF-8 helpers on web-standard globals only (atob, TextEncoder), never Buffer, so the
 * verify module runs unchanged on Node, Bun, Deno and edge runtimes.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const CHARS: string[] = Array.from(ALPHABET);

/** Standard base64 with padding. Table-driven: `btoa(String.fromCharCode(...))` allocates more per call. */
export function base64Encode(bytes: Uint8Array): string {
  const chars = CHARS;
  let out = "";
  const n = bytes.length;
  const full = n - (n % 3);
  let i = 0;
  for (; i < full; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += chars[v >>> 18]! + chars[(v >>> 12) & 63]! + chars[(v >>> 6) & 63]! + chars[v & 63]!;
  }
  if (n - full === 1) {
    const v = bytes[i]! << 16;
    out += chars[v >>> 18]! + chars[(v >>> 12) & 63]! + "==";
  } else if (n - full === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += chars[v >>> 18]! + chars[(v >>> 12) & 63]! + chars[(v >>> 6) & 63]! + "=";
  }
  return out;
}

export function base64UrlEncode(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

/** Decodes standard base64; throws on anything atob rejects. */
export function base64Decode(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export const utf8Encoder = new TextEncoder();
// fatal: a body that is not valid UTF-8 is not a Tidings event; better to say so than to parse U+FFFD.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

export function utf8Decode(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

export function toBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? utf8Encoder.encode(body) : body;
}

/** Compares two strings in time that depends only on their lengths (which are public). */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
