import type { IdempotencyClaim, IdempotencyRecord } from "../core/idempotency.js";

/** The idempotency_keys table's row, shared by the SQL drivers; pg hands BIGINT columns over as strings. */
export interface IdempotencyRow {
  scope: string;
  key: string;
  fingerprint: string;
  owner: string;
  response: string | null;
  locked_until: number | string | null;
  created_at: number | string;
  expires_at: number | string;
}

export const toIdempotencyRecord = (r: IdempotencyRow): IdempotencyRecord => ({
  scope: r.scope,
  key: r.key,
  fingerprint: r.fingerprint,
  owner: r.owner,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  ...(r.locked_until === null ? {} : { lockedUntil: Number(r.locked_until) }),
  ...(r.response === null ? {} : { sealedResponse: r.response }),
});

/** Column values in the drivers' INSERT order: scope, key, fingerprint, owner, locked_until, created_at, expires_at. */
export const claimValues = (c: IdempotencyClaim): unknown[] => [
  c.scope,
  c.key,
  c.fingerprint,
  c.owner,
  Math.round(c.lockedUntil),
  Math.round(c.createdAt),
  Math.round(c.expiresAt),
];
