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

/** "1 attempt", "2 attempts", "0 attempts". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * A UTC time typed in a form, as the dashboard writes them (`2026-05-04 12:00:00Z`) or in ISO 8601
 * (`2026-05-04T12:00Z`, `2026-05-04T12:00`: read as UTC) → ms; undefined when empty or malformed.
 */
export function parseUtcInput(value: string | undefined): number | undefined {
  const text = value?.trim().replace(" ", "T") ?? "";
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(text)) return undefined;
  const ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `ms` as a form field's value, written as every time on the dashboard is (UTC, to the minute). */
export function utcInput(ms: number): string {
  return time(ms).replace(/:\d{2}Z$/, "Z");
}
