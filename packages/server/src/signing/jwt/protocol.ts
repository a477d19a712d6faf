import type { JWK } from "jose";

/**
 * Messages between the delivery loop and its signing threads, which sign JWTs with the ring's RS256 and ES256
 * keys. Each side sends what one turn of its event loop gathered in one message.
 */
/** A JWT over `claims`, signed with the ring's key `kid`. */
export type SignRequest = { id: number; kid: string; claims: Record<string, unknown> };
export type SignReply = { id: number; signature: string } | { id: number; error: string };

export type ToWorker = { kind: "keys"; keys: { kid: string; jwk: JWK }[] } | { kind: "sign"; requests: SignRequest[] };
export type FromWorker = { replies: SignReply[] };
