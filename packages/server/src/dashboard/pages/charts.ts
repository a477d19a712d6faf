import type { FastifyPluginAsync } from "fastify";
import type { AttemptOutcome } from "../../core/attempt-stats.js";
import { filterLinks } from "../components.js";
import { isReadOnly, queryParam, sendPage, type DashboardDeps } from "../context.js";
import { latencyChart, OUTCOME_COLOURS, outcomeChart, PERCENTILE_COLOURS } from "../charts.js";
import { millis } from "../format.js";
import { html } from "../html.js";

const HOURS = [1, 3, 6, 12, 24];
const LATENCY_POINTS = 72;
/** Without a range asked for, the chart fits the traffic of the last day. */
const FIT_WITHIN_MINUTES = 24 * 60;

/** `15 min`, `2 h`, `1 h 25 min`. */
function span(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Attempts per minute by outcome and latency percentiles, over the last hours, as server-drawn SVG. */
export const chartRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { services }) => {
  app.get("/charts", async (req, reply) => {
    const asked = Number(queryParam(req, "hours"));
    const hours = HOURS.includes(asked) ? asked : undefined;
    const range = hours !== undefined ? { minutes: hours * 60 } : { fitWithin: FIT_WITHIN_MINUTES };
    const { minutes, binMinutes, bars, latency } = await services.stats.timeline(req.projectId, range, LATENCY_POINTS);
    const totals = Object.fromEntries(
      (["succeeded", "retrying", "failed"] as const).map((o) => [o, bars.reduce((n, b) => n + b[o], 0)]),
    ) as Record<AttemptOutcome, number>;
    const all = totals.succeeded + totals.retrying + totals.failed;
    const worstP99 = Math.max(0, ...latency.map((p) => p.p99 ?? 0));
    return sendPage(reply, {
      title: "Charts",
      section: "charts",
      body: html`<h1>Delivery attempts, last <span data-chart-span>${span(minutes)}</span></h1>
        ${
          isReadOnly(req)
            ? filterLinks(
                "Over the last",
                "/dashboard/charts",
                "hours",
                [
                  ["", "span of the traffic (up to 24 h)"] as const,
                  ...HOURS.map((h) => [String(h), `${h} h`] as const),
                ],
                hours === undefined ? "" : String(hours),
              )
            : html`<form method="get" action="/dashboard/charts" class="actions">
          <label>Over the last <select name="hours">
            <option value="" ${hours === undefined ? html`selected` : html``}>span of the traffic (up to 24 h)</option>
            ${HOURS.map((h) => html`<option value="${h}" ${h === hours ? html`selected` : html``}>${h} h</option>`)}
          </select></label>
          <button class="secondary" type="submit">Show</button>
        </form>`
        }
        <h2>Per minute, by outcome</h2>
        <div class="legend">${(Object.keys(OUTCOME_COLOURS) as AttemptOutcome[]).map((o) => html`<span><span class="swatch sw-${o}"></span>${o} (${totals[o]})</span>`)}</div>
        ${outcomeChart(bars)}
        <h2>Latency percentiles, per ${binMinutes} min</h2>
        <div class="legend">${(Object.keys(PERCENTILE_COLOURS) as (keyof typeof PERCENTILE_COLOURS)[]).map((p) => html`<span><span class="swatch sw-${p}"></span>${p}</span>`)}</div>
        ${latencyChart(latency, binMinutes)}
        <p class="small muted">${all} attempts in all; highest p99 ${millis(worstP99 || undefined)}. Percentiles are read from latency buckets (5 ms … 10 s), as Prometheus reads a histogram.</p>`,
    });
  });
};
