interface Endpoint {
  running: number;
  waiting: ((granted: boolean) => void)[];
}

/**
 * At most `size` requests at once per endpoint, on the sending thread: a request beyond them waits here and starts as
 * soon as one of them ends, without a round trip to the delivery loop's thread (docs/architecture.md: the sending
 * thread). Waiting requests can be withdrawn, unsent, when the loop stops.
 */
export class EndpointSlots {
  private readonly endpoints = new Map<string, Endpoint>();

  /** Resolves true when the request may start (then `release` once it ends), false if withdrawn before it could. */
  acquire(key: string, size: number): Promise<boolean> {
    let endpoint = this.endpoints.get(key);
    if (endpoint === undefined) {
      endpoint = { running: 0, waiting: [] };
      this.endpoints.set(key, endpoint);
    }
    if (endpoint.running < size) {
      endpoint.running++;
      return Promise.resolve(true);
    }
    const waiting = endpoint.waiting;
    return new Promise((resolve) => waiting.push(resolve));
  }

  /** A request that was granted its slot has ended: the endpoint's oldest waiting one starts. */
  release(key: string): void {
    const endpoint = this.endpoints.get(key);
    if (endpoint === undefined) return;
    const next = endpoint.waiting.shift();
    if (next !== undefined) {
      next(true);
      return;
    }
    endpoint.running--;
    if (endpoint.running === 0) this.endpoints.delete(key);
  }

  /** Every waiting request is withdrawn (resolves false); those running go on. */
  withdrawAll(): void {
    for (const [key, endpoint] of this.endpoints) {
      for (const resolve of endpoint.waiting.splice(0)) resolve(false);
      if (endpoint.running === 0) this.endpoints.delete(key);
    }
  }
}
