import { minuteStart, type LatencyPoint, type MinuteBar } from "../core/attempt-stats.js";
import { millis } from "./format.js";
import { html, type Markup } from "./html.js";

const W = 720;
const H = 220;
const PAD = { left: 48, right: 10, top: 12, bottom: 26 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

export const OUTCOME_COLOURS = { succeeded: "#2e9e5b", retrying: "#e3a21a", failed: "#d3453b" } as const;
export const PERCENTILE_COLOURS = { p50: "#2f7fd8", p90: "#8e5bd6", p99: "#d3453b" } as const;

const hhmm = (minute: number) => new Date(minuteStart(minute)).toISOString().slice(11, 16);

function axes(maxLabel: string, firstMinute: number, lastMinute: number): Markup {
  const bottom = PAD.top + PLOT_H;
  return html`<line x1="${PAD.left}" y1="${bottom}" x2="${W - PAD.right}" y2="${bottom}" stroke="currentColor" stroke-opacity=".4" />
    <line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}" stroke="currentColor" stroke-opacity=".4" />
    <text x="${PAD.left - 4}" y="${PAD.top + 10}" text-anchor="end" font-size="11" fill="currentColor">${maxLabel}</text>
    <text x="${PAD.left - 4}" y="${bottom}" text-anchor="end" font-size="11" fill="currentColor">0</text>
    <text x="${PAD.left}" y="${H - 6}" font-size="11" fill="currentColor">${hhmm(firstMinute)} UTC</text>
    <text x="${W - PAD.right}" y="${H - 6}" text-anchor="end" font-size="11" fill="currentColor">${hhmm(lastMinute + 1)} UTC</text>`;
}

/** Attempts per minute as stacked bars: succeeded, then retrying, then failed. */
export function outcomeChart(bars: readonly MinuteBar[]): Markup {
  const max = Math.max(1, ...bars.map((b) => b.succeeded + b.retrying + b.failed));
  const step = PLOT_W / Math.max(bars.length, 1);
  const width = Math.max(step - (step > 3 ? 1 : 0), 0.5);
  const y = (n: number) => (n / max) * PLOT_H;
  // One path per outcome, a rectangle per minute in each: three elements however many minutes have traffic.
  const paths = { succeeded: "", retrying: "", failed: "" };
  bars.forEach((bar, i) => {
    let top = PAD.top + PLOT_H;
    for (const outcome of ["succeeded", "retrying", "failed"] as const) {
      const h = y(bar[outcome]);
      if (h === 0) continue;
      top -= h;
      paths[outcome] +=
        `M${(PAD.left + i * step).toFixed(1)} ${top.toFixed(1)}h${width.toFixed(2)}v${h.toFixed(1)}h${(-width).toFixed(2)}z`;
    }
  });
  const rects = (["succeeded", "retrying", "failed"] as const).map((outcome) =>
    paths[outcome] === ""
      ? html``
      : html`<path d="${paths[outcome]}" fill="${OUTCOME_COLOURS[outcome]}" data-outcome="${outcome}" />`,
  );
  const first = bars[0]?.minute ?? 0;
  const last = bars[bars.length - 1]?.minute ?? 0;
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="outcomes-title outcomes-desc">
    <title id="outcomes-title">Delivery attempts per minute by outcome</title>
    <desc id="outcomes-desc">Stacked bars, one per minute from ${hhmm(first)} to ${hhmm(last + 1)} UTC; the tallest minute had ${max} attempts.</desc>
    ${axes(String(max), first, last)}
    ${rects}
  </svg>`;
}

/** Latency percentiles per bin as lines; bins without attempts leave a gap. */
export function latencyChart(points: readonly LatencyPoint[], binMinutes: number): Markup {
  const max = Math.max(1, ...points.map((p) => p.p99 ?? 0));
  const step = PLOT_W / Math.max(points.length, 1);
  const x = (i: number) => PAD.left + i * step + step / 2;
  const y = (v: number) => PAD.top + PLOT_H - (v / max) * PLOT_H;
  const lines = (["p50", "p90", "p99"] as const).map((key) => {
    const segments: string[][] = [[]];
    points.forEach((p, i) => {
      const v = p[key];
      if (v === undefined) segments.push([]);
      else (segments[segments.length - 1] as string[]).push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    });
    return segments
      .filter((s) => s.length > 0)
      .map((s) =>
        s.length === 1
          ? html`<circle cx="${s[0]!.split(",")[0]}" cy="${s[0]!.split(",")[1]}" r="2.5" fill="${PERCENTILE_COLOURS[key]}" />`
          : html`<polyline points="${s.join(" ")}" fill="none" stroke="${PERCENTILE_COLOURS[key]}" stroke-width="2" />`,
      );
  });
  const first = points[0]?.minute ?? 0;
  const last = (points[points.length - 1]?.minute ?? 0) + binMinutes - 1;
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="latency-title latency-desc">
    <title id="latency-title">Attempt latency percentiles</title>
    <desc id="latency-desc">p50, p90 and p99 of attempt latency per ${binMinutes} minutes; the highest p99 was ${millis(max)}.</desc>
    ${axes(millis(max), first, last)}
    ${lines}
  </svg>`;
}
