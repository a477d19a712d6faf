/**
 * Base64 and UTF-8 helpers on web-standard globals only (atob, TextEncoder), never Buffer, so the
 * verify module runs unchanged on Node, Bun, Deno and edge runtimes.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const CHARS: string[] = Array.from(ALPHABET);
const CODES = Uint8Array.from(ALPHABET, (ch) => ch.charCodeAt(0));
const PAD = 61; // "="

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

/** Writes the padded base64 of `bytes` into `out` as ASCII codes; returns the length. */
export function base64EncodeInto(bytes: Uint8Array, out: Uint8Array): number {
  const codes = CODES;
  const n = bytes.length;
  const full = n - (n % 3);
  let o = 0;
  let i = 0;
  for (; i < full; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = codes[v >>> 18]!;
    out[o++] = codes[(v >>> 12) & 63]!;
    out[o++] = codes[(v >>> 6) & 63]!;
    out[o++] = codes[v & 63]!;
  }
  if (n > full) {
    const v = (bytes[i]! << 16) | (n - full === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = codes[v >>> 18]!;
    out[o++] = codes[(v >>> 12) & 63]!;
    out[o++] = n - full === 2 ? codes[(v >>> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  return o;
}
