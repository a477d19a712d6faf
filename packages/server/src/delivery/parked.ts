/** One endpoint's parked keys: `keys[head…]`, oldest first. */
interface Line {
  keys: number[];
  head: number;
}

/**
 * Deliveries born leased to this engine that it had no room to hold, by endpoint, oldest first: their keys only.
 * Their rows stay leased to the engine's worker and covered like any it holds, so parking one writes nothing and a
 * process that dies leaves them to the reap; the engine reads them back (`DeliveryQueue.held`) when their endpoint
 * has room (docs/store.md: leases and failover).
 */
export class ParkedDeliveries {
  private readonly lines = new Map<string, Line>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** How many an endpoint has parked. */
  sizeOf(endpointKey: string): number {
    const line = this.lines.get(endpointKey);
    return line === undefined ? 0 : line.keys.length - line.head;
  }

  park(endpointKey: string, key: number): void {
    let line = this.lines.get(endpointKey);
    if (line === undefined) {
      line = { keys: [], head: 0 };
      this.lines.set(endpointKey, line);
    }
    line.keys.push(key);
    this.count++;
  }

  /** The endpoint's `count` oldest, no longer parked. */
  take(endpointKey: string, count: number): number[] {
    const line = this.lines.get(endpointKey);
    if (line === undefined) return [];
    const taken = line.keys.slice(line.head, line.head + count);
    line.head += taken.length;
    this.count -= taken.length;
    if (line.head === line.keys.length) this.lines.delete(endpointKey);
    else if (line.head > 1024 && line.head * 2 > line.keys.length) {
      // Dropping what was taken only now and then keeps a take from copying the whole line each time.
      line.keys = line.keys.slice(line.head);
      line.head = 0;
    }
    return taken;
  }

  /** Puts back keys taken from the endpoint (a read that failed), ahead of what it has parked since. */
  putBack(endpointKey: string, keys: readonly number[]): void {
    if (keys.length === 0) return;
    const line = this.lines.get(endpointKey);
    const rest = line === undefined ? [] : line.keys.slice(line.head);
    this.lines.set(endpointKey, { keys: [...keys, ...rest], head: 0 });
    this.count += keys.length;
  }

  /** The endpoints with deliveries parked. */
  endpoints(): string[] {
    return [...this.lines.keys()];
  }

  /** Every parked delivery, none parked any more. */
  takeAll(): { endpointKey: string; key: number }[] {
    const all = [...this.lines].flatMap(([endpointKey, line]) =>
      line.keys.slice(line.head).map((key) => ({ endpointKey, key })),
    );
    this.lines.clear();
    this.count = 0;
    return all;
  }
}
