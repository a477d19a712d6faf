/**
 * Retention (docs/store.md: retention): how long finished records are kept. Events with their deliveries and
 * attempts, operations of every kind that have ended, and per-minute tallies older than a project's retention are
 * purged; a delivery still pending is never purged, and neither is its event or operation. Files go at their own
 * `expireTime`.
 */

export const DEFAULT_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** The sweep runs at least this often, and more often for a short retention (a quarter of it). */
export const MAX_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const HUMAN_DURATION = /^(\d+)\s*([smhd])$/;

/** `90s`, `15m`, `12h`, `30d` (TIDINGS_RETENTION, TIDINGS_FILE_TTL): milliseconds, or undefined for anything else. */
export function parseHumanDuration(text: string): number | undefined {
  const match = HUMAN_DURATION.exec(text.trim());
  if (match === null) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** How often to sweep for these retentions: a quarter of the shortest, at most MAX_SWEEP_INTERVAL_MS, at least 1 s. */
export function sweepIntervalMs(retentionsMs: readonly number[]): number {
  return Math.max(1000, Math.min(MAX_SWEEP_INTERVAL_MS, ...retentionsMs.map((ms) => Math.floor(ms / 4))));
}

/** What is older than this, for a project kept `retentionMs`, is purged. */
export function retentionCutoff(now: number, retentionMs: number): number {
  return now - retentionMs;
}

/** What a sweep purged, by resource (the label of tidings_retention_purged_total). */
export type PurgedResource =
  | "events"
  | "deliveries"
  | "attempts"
  | "operations"
  | "batches"
  | "videos"
  | "interactions"
  | "tallies"
  | "files"
  | "idempotency_keys";
export type Purged = Partial<Record<PurgedResource, number>>;

export function addPurged(total: Purged, more: Purged): Purged {
  const sum: Purged = { ...total };
  for (const [resource, count] of Object.entries(more) as [PurgedResource, number][])
    sum[resource] = (sum[resource] ?? 0) + count;
  return sum;
}
