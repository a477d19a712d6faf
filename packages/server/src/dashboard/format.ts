/** How the dashboard writes numbers and times: UTC, to the second, readable on a phone. */
export function time(ms: number | undefined): string {
  if (ms === undefined) return "—";
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
}

export function percent(rate: number | undefined): string {
  return rate === undefined ? "—" : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)} %`;
}

export function millis(ms: number | undefined): string {
  if (ms === undefined) return "—";
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** `2026-05-04T12:00` (an <input type=datetime-local>, read as UTC) → ms; undefined when empty or malformed. */
export function parseUtcInput(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const ms = Date.parse(`${value.trim()}${/Z$/.test(value.trim()) ? "" : "Z"}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `ms` as an <input type=datetime-local> value, in UTC. */
export function utcInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}
