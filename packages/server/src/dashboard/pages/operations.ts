import type { FastifyPluginAsync } from "fastify";
import { notFound } from "../../core/errors.js";
import { parsePageRequest } from "../../core/pages.js";
import { badge, eventList, filterLinks, pager } from "../components.js";
import { isReadOnly, noticeFrom, queryParam, sendPage, type DashboardDeps } from "../context.js";
import { time } from "../format.js";
import { html, type Markup } from "../html.js";
import { isOperationKind, OPERATION_KINDS, summarizeOperation, type OperationSummary } from "../operation-kinds.js";

const DONE_CHOICES = [
  ["", "any"],
  ["false", "not done"],
  ["true", "done"],
] as const;

/** Operations of every kind (whatever GET /v1/operations lists), with their state, progress and events. */
export const operationRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { services }) => {
  app.get("/operations", async (req, reply) => {
    const kind = queryParam(req, "kind");
    const done = queryParam(req, "done");
    const pageToken = queryParam(req, "page_token");
    const filter = [
      kind !== undefined && isOperationKind(kind) ? `kind=${kind}` : "",
      done === "true" || done === "false" ? `done=${done}` : "",
    ]
      .filter(Boolean)
      .join(" AND ");
    const page = await services.operations.list(
      req.projectId,
      filter || undefined,
      parsePageRequest(undefined, pageToken),
    );
    const rows = page.items.map(summarizeOperation);
    return sendPage(reply, {
      title: "Operations",
      section: "operations",
      notice: noticeFrom(req),
      body: html`<h1>Operations</h1>
        ${
          isReadOnly(req)
            ? html`${filterLinks("Kind", "/dashboard/operations", "kind", [["", "every kind"], ...Object.entries(OPERATION_KINDS).map(([k, view]) => [k, view.title] as const)], kind, { done })}
              ${filterLinks("State", "/dashboard/operations", "done", DONE_CHOICES, done, { kind })}`
            : html`<form method="get" action="/dashboard/operations" class="actions">
          <label>Kind <select name="kind"><option value="">every kind</option>
            ${Object.entries(OPERATION_KINDS).map(([k, view]) => html`<option value="${k}" ${k === kind ? html`selected` : html``}>${view.title}</option>`)}
          </select></label>
          <label>State <select name="done">
            ${DONE_CHOICES.map(([value, text]) => html`<option value="${value}" ${value !== "" && value === done ? html`selected` : html``}>${text}</option>`)}
          </select></label>
          <button class="secondary" type="submit">Show</button>
        </form>`
        }
        ${rows.length === 0 ? html`<p class="muted">No operations here.</p>` : operationTable(rows)}
        ${pager("/dashboard/operations", { kind, done }, page.nextPageToken, pageToken === undefined)}`,
    });
  });

  app.get<{ Params: { kind: string; id: string } }>("/operations/:kind/:id", async (req, reply) => {
    const op = await load(req.params.kind, req.params.id, req.projectId);
    const events = await eventList(services, req.projectId, op.name, "No events yet: one is sent when it ends.");
    return sendPage(reply, {
      title: op.name,
      section: "operations",
      body: html`<section>
        <h1 class="mono break">${op.name}</h1>
        <dl class="facts">
          <dt>Kind</dt><dd>${OPERATION_KINDS[op.kind].title}</dd>
          <dt>What</dt><dd>${op.label}</dd>
          <dt>State</dt><dd>${badge(op.state, op.tone, html`data-state`)}</dd>
          ${op.progress === undefined ? html`` : html`<dt>Progress</dt><dd>${progressCell(op)}</dd>`}
          ${op.output === undefined ? html`` : html`<dt>Output</dt><dd>${outputFile(op.output)}</dd>`}
          <dt>Created</dt><dd>${time(op.createdAt)}</dd>
          <dt>Updated</dt><dd>${time(op.updatedAt)}</dd>
          ${op.facts.map(([label, value]) => html`<dt>${label}</dt><dd class="mono">${value}</dd>`)}
        </dl>
        <h2>Events</h2>
        ${events}
      </section>`,
    });
  });

  /** What the progress bars poll: the operation's state and work done, read from the services every few seconds. */
  app.get<{ Params: { kind: string; id: string } }>("/operations/:kind/:id/progress", async (req, reply) => {
    const op = await load(req.params.kind, req.params.id, req.projectId);
    return reply.header("cache-control", "no-store").send({
      state: op.state,
      tone: op.tone,
      done: op.done,
      completed: op.progress?.completed ?? 0,
      total: op.progress?.total ?? 0,
      failed: op.progress?.failed ?? 0,
    });
  });

  async function load(kind: string, id: string, projectId: string): Promise<OperationSummary> {
    if (!isOperationKind(kind)) throw notFound(`operations of kind ${kind}`);
    return summarizeOperation(await OPERATION_KINDS[kind].get(services, projectId, id));
  }
};

/** The file an operation produced: a download link, and for a video a player. */
function outputFile(output: NonNullable<OperationSummary["output"]>): Markup {
  const url = `/dashboard/files/${encodeURIComponent(output.fileId)}`;
  return html`<a class="mono" href="${url}?download=1" download data-output-file>files/${output.fileId}</a> <span class="small muted">(download)</span>
    ${output.video ? html`<div><video class="preview" controls preload="metadata" src="${url}" data-video-preview></video></div>` : html``}`;
}

function progressCell(op: OperationSummary): Markup {
  const p = op.progress;
  if (p === undefined) return html`<span class="muted">—</span>`;
  const label = `${p.completed} / ${p.total}${p.failed > 0 ? ` (${p.failed} failed)` : ""}`;
  return html`<span data-progress-url="/dashboard/operations/${op.kind}/${encodeURIComponent(op.id)}/progress" data-done="${op.done ? "true" : "false"}">
    <progress max="${Math.max(p.total, 1)}" value="${p.completed}" aria-label="Progress of ${op.name}"></progress>
    <span class="small" data-progress-text>${label}</span>
  </span>`;
}

function operationTable(rows: readonly OperationSummary[]): Markup {
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Operation</th><th scope="col">Kind</th><th scope="col">What</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col" class="hide-narrow">Created</th><th scope="col">Events</th></tr></thead>
    <tbody>${rows.map(
      (op) => html`<tr data-operation="${op.name}">
        <td><a class="mono small" href="/dashboard/operations/${op.kind}/${encodeURIComponent(op.id)}">${op.name}</a></td>
        <td>${OPERATION_KINDS[op.kind].title}</td>
        <td class="small words">${op.label}</td>
        <td>${badge(op.state, op.tone, html`data-state`)}</td>
        <td>${progressCell(op)}</td>
        <td class="small hide-narrow">${time(op.createdAt)}</td>
        <td><a href="/dashboard/events?operation=${encodeURIComponent(op.name)}">events</a></td>
      </tr>`,
    )}</tbody>
  </table></div>`;
}
