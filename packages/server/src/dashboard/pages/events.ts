import type { FastifyPluginAsync } from "fastify";
import type { StoredEvent } from "../../core/events.js";
import { parsePageRequest } from "../../core/pages.js";
import { eventStreamer } from "../../web/event-stream.js";
import { deliveriesTable, pager } from "../components.js";
import {
  formField,
  isReadOnly,
  noticeFrom,
  queryParam,
  redirectAfter,
  sendPage,
  type DashboardDeps,
} from "../context.js";
import { time } from "../format.js";
import { html, type Markup } from "../html.js";
import { csrfField } from "../layout.js";

/** The events log: searchable by type and operation, live on its first page, each event with its deliveries. */
export const eventRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { services, bus }) => {
  const stream = eventStreamer(app, bus);

  app.get("/events", async (req, reply) => {
    const type = queryParam(req, "type");
    const operation = queryParam(req, "operation");
    const pageToken = queryParam(req, "page_token");
    const page = await services.events.list(
      req.projectId,
      { type, operation, newestFirst: true },
      parsePageRequest(undefined, pageToken),
    );
    const live = pageToken === undefined;
    const readOnly = isReadOnly(req);
    const cleared =
      type !== undefined || operation !== undefined ? html`<a href="/dashboard/events">Clear</a>` : html``;
    return sendPage(reply, {
      title: "Events",
      section: "events",
      notice: noticeFrom(req),
      body: (csrf) => html`<h1>Events <span class="muted small">newest first</span></h1>
        ${
          readOnly
            ? html`<p class="actions">${cleared}</p>`
            : html`<form method="get" action="/dashboard/events" class="actions" role="search">
          <label>Type <input type="text" name="type" value="${type ?? ""}" placeholder="batch.succeeded" /></label>
          <label>Operation <input type="text" name="operation" value="${operation ?? ""}" placeholder="batches/…" /></label>
          <button type="submit">Search</button>
          ${cleared}
        </form>`
        }
        ${live ? html`<p id="live-status" class="small muted" role="status" aria-live="polite"></p>` : html``}
        ${eventTable(page.items, readOnly ? undefined : csrf, live ? { type, operation } : undefined)}
        ${pager("/dashboard/events", { type, operation }, page.nextPageToken, pageToken === undefined)}`,
    });
  });

  // The project's events as they commit, for the live list (unnamed messages: EventSource.onmessage gets all).
  app.get("/stream", async (req, reply) => stream(req.projectId, reply, { named: false }));

  app.get<{ Params: { id: string } }>("/events/:id", async (req, reply) => {
    const { event, deliveries } = await services.events.get(req.projectId, req.params.id);
    const newestFirst = [...deliveries].reverse();
    const pending = deliveries.some((d) => d.state === "pending");
    const readOnly = isReadOnly(req);
    return sendPage(reply, {
      title: `Event ${event.type}`,
      section: "events",
      notice: noticeFrom(req),
      body: (csrf) => html`<h1>${event.type}</h1>
        <dl class="facts">
          <dt>Id (webhook-id)</dt><dd class="mono">${event.id}</dd>
          <dt>Time</dt><dd>${time(event.createdAt)}</dd>
          ${event.operation === undefined ? html`` : html`<dt>Operation</dt><dd><a class="mono" href="/dashboard/events?operation=${encodeURIComponent(event.operation)}">${event.operation}</a></dd>`}
        </dl>
        <h2>Payload</h2><pre>${JSON.stringify(event.payload, null, 2)}</pre>
        ${readOnly ? html`` : html`<div class="actions">${redeliverForm(event.id, csrf, "Redeliver to every target")}</div>`}
        <section ${pending ? html`data-refresh-while-pending` : html``} aria-labelledby="deliveries">
          <h2 id="deliveries">Deliveries <span class="muted small">newest first</span></h2>
          ${deliveriesTable(newestFirst, csrf, { showTarget: true, readOnly })}
        </section>`,
    });
  });

  /** A redelivery: to one webhook (a delivery's Retry) or to every current target. Same webhook-id. */
  app.post<{ Params: { id: string } }>("/events/:id/redeliver", async (req, reply) => {
    const webhookId = formField(req, "webhook_id");
    const count = await services.events.redeliver(
      req.projectId,
      req.params.id,
      webhookId === undefined ? {} : { webhook_id: webhookId },
    );
    const back = formField(req, "return_to") === "list" ? "/dashboard/events" : `/dashboard/events/${req.params.id}`;
    return redirectAfter(reply, back, `redelivered:${count}`);
  });
};

function redeliverForm(eventId: string, csrf: string, label: string, returnTo: "event" | "list" = "event"): Markup {
  return html`<form class="inline" method="post" action="/dashboard/events/${eventId}/redeliver">${csrfField(csrf)}<input type="hidden" name="return_to" value="${returnTo}" /><button class="secondary" type="submit">${label}</button></form>`;
}

/** The events, each with a redelivery form unless there is no `csrf` (read-only). */
function eventTable(
  events: readonly StoredEvent[],
  csrf: string | undefined,
  live: { type?: string; operation?: string } | undefined,
): Markup {
  const stream =
    live === undefined
      ? html``
      : html`data-stream="/dashboard/stream" data-type="${live.type ?? ""}" data-operation="${live.operation ?? ""}"`;
  return html`<div class="table-wrap"><table ${stream}>
    <thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">Operation</th><th scope="col">Event</th><th scope="col"><span class="hide-narrow">Action</span></th></tr></thead>
    <tbody>
      ${events.length === 0 ? html`<tr data-empty><td colspan="5" class="muted">No events${live === undefined ? "" : " yet"}.</td></tr>` : html``}
      ${events.map(
        (e) => html`<tr>
          <td class="small">${time(e.createdAt)}</td>
          <td>${e.type}</td>
          <td class="small">${e.operation === undefined ? html`<span class="muted">—</span>` : html`<a class="mono" href="/dashboard/events?operation=${encodeURIComponent(e.operation)}">${e.operation}</a>`}</td>
          <td><a class="mono small" href="/dashboard/events/${e.id}">${e.id}</a></td>
          <td>${csrf === undefined ? html`` : redeliverForm(e.id, csrf, "Redeliver", "list")}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}
