import type { FastifyPluginAsync } from "fastify";
import { parsePageRequest } from "../../core/pages.js";
import type { InteractionContent, InteractionStep } from "../../core/interaction-steps.js";
import { interactionName, pendingCalls, type Interaction, type InteractionStatus } from "../../core/interactions.js";
import { badge, eventList, pager } from "../components.js";
import { queryParam, sendPage, type DashboardDeps } from "../context.js";
import { time } from "../format.js";
import { html, type Markup } from "../html.js";
import type { Tone } from "../operation-kinds.js";

/** A step's text is cut here on the page: the API has the whole of it. */
const STEP_CHARS = 300;

const STATUS_TONE: Record<InteractionStatus, Tone> = {
  in_progress: "busy",
  requires_action: "warn",
  completed: "ok",
  failed: "bad",
  cancelled: "warn",
};

/**
 * Interactions, newest first, and each one's timeline and events. They are not long-running operations (GET
 * /v1/operations does not list them: docs/wire.md: operations), so they have pages of their own.
 */
export const interactionRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { services }) => {
  app.get("/interactions", async (req, reply) => {
    const pageToken = queryParam(req, "page_token");
    const page = await services.interactions.list(req.projectId, parsePageRequest(undefined, pageToken));
    return sendPage(reply, {
      title: "Interactions",
      section: "interactions",
      body: html`<h1>Interactions</h1>
        ${page.items.length === 0 ? html`<p class="muted">No interactions yet.</p>` : interactionTable(page.items)}
        ${pager("/dashboard/interactions", {}, page.nextPageToken, pageToken === undefined)}`,
    });
  });

  app.get<{ Params: { id: string } }>("/interactions/:id", async (req, reply) => {
    const interaction = await services.interactions.get(req.projectId, req.params.id);
    const name = interactionName(interaction.id);
    const events = await eventList(
      services,
      req.projectId,
      name,
      "No events yet: one is sent when it needs action or ends.",
    );
    // Once answered, it waits for nothing: it has been resumed, and its continuation is where the run goes on.
    const waitingFor = interaction.resumedBy === undefined ? pendingCalls(interaction) : [];
    return sendPage(reply, {
      title: name,
      section: "interactions",
      body: html`<section>
        <h1 class="mono break">${name}</h1>
        <dl class="facts">
          <dt>${interaction.agent !== undefined ? "Agent" : "Model"}</dt><dd class="mono">${interaction.agent ?? interaction.model ?? ""}</dd>
          <dt>Status</dt><dd>${statusBadge(interaction)}</dd>
          <dt>Run</dt><dd>${interaction.background ? "background" : "in the request"}</dd>
          ${
            waitingFor.length === 0
              ? html``
              : html`<dt>Waiting for</dt><dd>${waitingFor.map((call) => html`<div class="mono small break" data-pending-call>${call.name}(${JSON.stringify(call.arguments)}) · id ${call.id}</div>`)}</dd>`
          }
          ${interaction.resumedBy === undefined ? html`` : html`<dt>Resumed by</dt><dd><a class="mono small" data-resumed-by href="/dashboard/interactions/${encodeURIComponent(interaction.resumedBy)}">${interactionName(interaction.resumedBy)}</a></dd>`}
          ${interaction.previousInteractionId === undefined ? html`` : html`<dt>Continues</dt><dd><a class="mono small" href="/dashboard/interactions/${encodeURIComponent(interaction.previousInteractionId)}">${interactionName(interaction.previousInteractionId)}</a></dd>`}
          ${interaction.error === undefined ? html`` : html`<dt>Error</dt><dd class="mono">${interaction.error.status}: ${interaction.error.message}</dd>`}
          ${interaction.usage?.total_tokens === undefined ? html`` : html`<dt>Tokens</dt><dd>${String(interaction.usage.total_tokens)}</dd>`}
          <dt>Created</dt><dd>${time(interaction.createdAt)}</dd>
          <dt>Updated</dt><dd>${time(interaction.updatedAt)}</dd>
        </dl>
        <h2>Steps</h2>
        <ol class="steps">${interaction.steps.map((step) => html`<li><span class="badge">${step.type.replaceAll("_", " ")}</span> <span class="small break">${stepText(step)}</span></li>`)}</ol>
        <h2>Events</h2>
        ${events}
      </section>`,
    });
  });
};

/** Its status, except that one answered shows as resumed: it waits for nothing any more. */
function statusBadge(interaction: Interaction): Markup {
  if (interaction.resumedBy !== undefined) return badge("resumed", "ok", html`data-state`);
  return badge(interaction.status.replaceAll("_", " "), STATUS_TONE[interaction.status], html`data-state`);
}

function interactionTable(rows: readonly Interaction[]): Markup {
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Interaction</th><th scope="col">Model or agent</th><th scope="col">Status</th><th scope="col" class="hide-narrow">Created</th><th scope="col">Events</th></tr></thead>
    <tbody>${rows.map((interaction) => {
      const name = interactionName(interaction.id);
      return html`<tr data-interaction="${name}">
        <td><a class="mono small" href="/dashboard/interactions/${encodeURIComponent(interaction.id)}">${name}</a></td>
        <td class="small break">${interaction.agent ?? interaction.model ?? ""}</td>
        <td>${statusBadge(interaction)}</td>
        <td class="small hide-narrow">${time(interaction.createdAt)}</td>
        <td><a href="/dashboard/events?operation=${encodeURIComponent(name)}">events</a></td>
      </tr>`;
    })}</tbody>
  </table></div>`;
}

function stepText(step: InteractionStep): string {
  const text = (() => {
    switch (step.type) {
      case "user_input":
      case "model_output":
        return contentText(step.content);
      case "thought":
        return contentText(step.summary ?? []);
      case "function_call":
        return `${step.name}(${JSON.stringify(step.arguments)}) · id ${step.id}`;
      case "function_result":
        return `${step.name ?? ""} ← ${JSON.stringify(step.result)} · call ${step.call_id}`;
    }
  })();
  return text.length > STEP_CHARS ? `${text.slice(0, STEP_CHARS)}…` : text;
}

function contentText(content: readonly InteractionContent[]): string {
  return content.map((part) => (part.type === "text" ? part.text : `[${part.type}]`)).join(" ");
}
