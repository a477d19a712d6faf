import type { Leases } from "../runtime/leased-runner.js";
import type { LeaseRows } from "../store/store.js";

/**
 * The run leases of one leased kind, held by its service: the runner claims and renews through them, and a
 * process that owns its store alone releases them all on start.
 */
export class KindLeases<T extends { id: string }> implements Leases<T> {
  constructor(private readonly rows: LeaseRows<T>) {}

  claim(now: number, lockedUntil: number): Promise<T | undefined> {
    return this.rows.claim(now, lockedUntil);
  }

  renew(item: T, lockedUntil: number): Promise<boolean> {
    return this.rows.renewLease(item.id, lockedUntil);
  }

  /** After a crash of the only process using the store: whatever it had leased is free to run again. */
  releaseAll(): Promise<number> {
    return this.rows.releaseAll();
  }
}
