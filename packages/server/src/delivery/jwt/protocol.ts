import type { JWK } from "jose";

/** Messages between the delivery loop and its JWT signing workers. */
export type ToWorker = { kind: "key"; kid: string; jwk: JWK } | { kind: "sign"; id: number; claims: Record<string, unknown> };
export type FromWorker = { id: number; token: string } | { id: number; error: string };
