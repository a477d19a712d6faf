import type { IdempotencyClaim, IdempotencyRecord } from "../core/idempotency.js";
import { ms } from "./sql/db.js";

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

/** A claim's row by column; times rounded because PostgreSQL's BIGINT refuses fractions. */
export const claimParams = (c: IdempotencyClaim) => ({
  scope: c.scope,
  key: c.key,
  fingerprint: c.fingerprint,
  owner: c.owner,
  locked_until: ms(c.lockedUntil),
  created_at: ms(c.createdAt),
  expires_at: ms(c.expiresAt),
});
