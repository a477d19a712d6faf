import type { JWK } from "jose";

/** Messages between the delivery loop and its JWT signing workers. */
export type ToWorker = { kind: "keys"; keys: { kid: string; jwk: JWK }[] } | { kind: "sign"; id: number; kid: string; claims: Record<string, unknown> };
export type FromWorker = { id: number; token: string } | { id: number; error: string };
