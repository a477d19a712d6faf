import type { JWK } from "jose";

/**
 * Messages between the delivery loop and its signing workers: a JWT over claims (`jwt`), or the `v1a`
 * entries of Ed25519 signatures over `${id}.${timestamp}.${body}`, by each named key of the ring (`v1a`) or by
 * each of a static webhook's `whsk_` keys (`v1a-static`).
 */
export type ToWorker =
  | { kind: "keys"; keys: { kid: string; jwk: JWK }[] }
  | { kind: "jwt"; id: number; kid: string; claims: Record<string, unknown> }
  | { kind: "v1a"; id: number; kids: string[]; content: string }
  | { kind: "v1a-static"; id: number; secrets: string[]; content: string };
export type FromWorker = { id: number; signature: string } | { id: number; error: string };
