import { attemptHeaders, isSuccess, SIGNATURE_NOT_KEPT, type Attempt } from "../core/deliveries.js";
import type { Services } from "../services/index.js";
import type { DeliveryWithAttempts } from "../store/store.js";
import { millis, time } from "./format.js";
import { html, type Markup } from "./html.js";
import { csrfField } from "./layout.js";
import { USER_AGENT } from "../version.js";
import type { FilledForm } from "./context.js";
import type { Tone } from "./operation-kinds.js";

const EVENTS_SHOWN = 50;

/** The newest events of an operation or interaction (by its resource name), as links; `none` when it has none yet. */
export async function eventList(services: Services, projectId: string, name: string, none: string): Promise<Markup> {
  const events = await services.events.list(
    projectId,
    { operation: name, newestFirst: true },
    { pageSize: EVENTS_SHOWN, offset: 0 },
  );
  if (events.items.length === 0) return html`<p class="muted">${none}</p>`;
  return html`<ul>${events.items.map((e) => html`<li><a href="/dashboard/events/${e.id}">${e.type}</a> <span class="muted small">${time(e.createdAt)}</span></li>`)}</ul>`;
}

export function badge(text: string, tone: Tone | undefined, attributes: Markup = html``): Markup {
  return html`<span class="badge ${tone ?? ""}" ${attributes}>${text}</span>`;
}

const DELIVERY_TONE = { pending: "busy", succeeded: "ok", failed: "bad" } as const;
const WEBHOOK_TONE = { enabled: "ok", disabled: "warn", disabled_due_to_failed_deliveries: "bad" } as const;

export function webhookState(state: keyof typeof WEBHOOK_TONE): Markup {
  return badge(state.replaceAll("_", " "), WEBHOOK_TONE[state]);
}

/**
 * A filter as links, one per choice (the current one marked): what read-only portal sessions get instead of a
 * filter form, since they are shown no forms at all.
 */
export function filterLinks(
  label: string,
  path: string,
  name: string,
  choices: readonly (readonly [value: string, text: string])[],
  current: string | undefined,
  keep: Record<string, string | undefined> = {},
): Markup {
  const href = (value: string) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...keep, [name]: value })) if (v) params.set(k, v);
    const qs = params.toString();
    return `${path}${qs ? `?${qs}` : ""}`;
  };
  return html`<nav class="actions" aria-label="${label}"><span>${label}</span>
    ${choices.map(([value, text]) => html`<a href="${href(value)}" ${value === (current ?? "") ? html`aria-current="true"` : html``}>${text}</a>`)}
  </nav>`;
}

/** Links to the next page (and back to the first), keeping the page's filters. */
export function pager(
  path: string,
  query: Record<string, string | undefined>,
  nextPageToken: string | undefined,
  onFirstPage: boolean,
): Markup {
  const link = (token?: string) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
    if (token !== undefined) params.set("page_token", token);
    const qs = params.toString();
    return `${path}${qs ? `?${qs}` : ""}`;
  };
  if (nextPageToken === undefined && onFirstPage) return html``;
  return html`<nav class="pager" aria-label="Pages">
    ${onFirstPage ? html`` : html`<a href="${link()}">« First page</a>`}
    ${nextPageToken === undefined ? html`<span class="muted">Last page</span>` : html`<a href="${link(nextPageToken)}" rel="next">Next page »</a>`}
  </nav>`;
}

function shownHeaders(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join("\n");
}

/** An attempt; its request headers follow from the event and the time (they are not stored: core/deliveries.ts). */
function attemptItem(eventId: string, a: Attempt): Markup {
  const ok = isSuccess(a.statusCode);
  return html`<li data-attempt="${a.attemptNumber}">
    <strong>#${a.attemptNumber}</strong> · ${time(a.startedAt)} ·
    ${a.statusCode !== undefined ? badge(`HTTP ${a.statusCode}`, ok ? "ok" : "bad") : badge("no response", "bad")} · ${millis(a.latencyMs)}
    ${a.error === undefined ? html`` : html`<div class="bad">${a.error}</div>`}
    ${a.responseExcerpt ? html`<div class="small muted">Response excerpt</div><pre>${a.responseExcerpt}</pre>` : html``}
    <details><summary class="small">Request headers</summary><pre data-request-headers>${shownHeaders(attemptHeaders(eventId, a.startedAt, USER_AGENT, SIGNATURE_NOT_KEPT))}</pre></details>
  </li>`;
}

/**
 * Deliveries with their attempts, newest first, each with a retry (a redelivery of its event to its target) unless
 * read-only.
 */
export function deliveriesTable(
  deliveries: readonly DeliveryWithAttempts[],
  csrf: string,
  options: { showTarget: boolean; readOnly: boolean },
): Markup {
  if (deliveries.length === 0) return html`<p class="muted">No deliveries here.</p>`;
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Created</th><th scope="col">Event</th>${options.showTarget ? html`<th scope="col">Target</th>` : html``}<th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last result</th><th scope="col"><span class="hide-narrow">Action</span></th></tr></thead>
    <tbody>
      ${deliveries.map(
        (d) => html`<tr data-delivery="${d.id}">
          <td class="small">${time(d.createdAt)}</td>
          <td><a class="mono small" href="/dashboard/events/${d.eventId}">${d.eventId}</a></td>
          ${options.showTarget ? html`<td class="small break">${d.webhookId !== undefined ? html`<a href="/dashboard/webhooks/${d.webhookId}">webhook ${d.webhookId.slice(0, 8)}…</a>` : html`<span class="mono">${d.uri}</span> <span class="muted">(dynamic)</span>`}</td>` : html``}
          <td>${badge(d.state, DELIVERY_TONE[d.state], html`data-state`)}${d.state === "pending" ? html`<div class="small muted">next ${time(d.nextAttemptAt)}</div>` : html``}</td>
          <td>
            <details ${d.state === "failed" ? html`open` : html``}><summary>${d.attempts.length} attempt${d.attempts.length === 1 ? "" : "s"}</summary>
              <ul class="attempts small">${[...d.attempts].reverse().map((a) => attemptItem(d.eventId, a))}</ul>
            </details>
          </td>
          <td class="small">${d.lastError !== undefined ? html`<span class="bad">${d.lastError}</span>` : d.lastStatusCode !== undefined ? html`HTTP ${d.lastStatusCode}` : html`<span class="muted">—</span>`}</td>
          <td>${d.webhookId === undefined || options.readOnly ? html`` : html`<form method="post" action="/dashboard/events/${d.eventId}/redeliver">${csrfField(csrf)}<input type="hidden" name="webhook_id" value="${d.webhookId}" /><input type="hidden" name="return_to" value="event" /><button class="secondary" type="submit" aria-label="Retry: redeliver event ${d.eventId} to this webhook">Retry</button></form>`}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

/** What to fix, above the form that was sent back; nothing when the form is fresh. */
export function problemNotice(form: FilledForm | undefined): Markup {
  return form === undefined
    ? html``
    : html`<p class="flash bad" role="alert" data-form-problem>${form.problem.message}</p>`;
}

/** Marks the field the problem names, for assistive technology and the eye. */
export function invalid(form: FilledForm | undefined, field: string): Markup {
  return form?.problem.field === field ? html`aria-invalid="true"` : html``;
}
