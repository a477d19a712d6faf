/** Time is injected so that the 24-hour retry window can be tested in milliseconds. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function toRfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
