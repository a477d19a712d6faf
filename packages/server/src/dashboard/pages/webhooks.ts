import type { FastifyPluginAsync } from "fastify";
import { invalidArgument } from "../../core/errors.js";
import { parsePageRequest } from "../../core/pages.js";
import type { RevocationBehavior, Webhook } from "../../core/webhooks.js";
import { activeSecrets, truncateSecret } from "../../core/webhooks.js";
import type { NewSigningCredential } from "../../services/webhooks.js";
import type { WebhookHealth } from "../../services/stats.js";
import { deliveriesTable, filterLinks, pager, webhookState } from "../components.js";
import { formField, isReadOnly, noticeFrom, queryParam, redirectAfter, sendPage, type DashboardDeps } from "../context.js";
import { millis, parseUtcInput, percent, time, utcInput } from "../format.js";
import { html, type Markup } from "../html.js";
import { csrfField } from "../layout.js";

const DELIVERY_STATES = ["pending", "succeeded", "failed"] as const;
const DAY_MS = 24 * 3_600_000;

/** Webhooks: their health over 24 h, their deliveries and attempts, and every action on them. */
export const webhookRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { services, clock }) => {
  app.get("/webhooks", async (req, reply) => {
    const pageToken = queryParam(req, "page_token");
    const page = await services.webhooks.list(req.projectId, parsePageRequest(undefined, pageToken));
    const health = await services.stats.webhookHealth(
      req.projectId,
      page.items.map((w) => w.id),
    );
    return sendPage(reply, {
      title: "Webhooks",
      section: "webhooks",
      notice: noticeFrom(req),
      body: (csrf) => html`<h1>Webhooks</h1>
        ${page.items.length === 0 ? html`<p class="muted">No webhooks yet. Register one below.</p>` : webhookTable(page.items, health)}
        ${pager("/dashboard/webhooks", {}, page.nextPageToken, pageToken === undefined)}
        ${isReadOnly(req) ? html`` : createForm(csrf)}`,
    });
  });

  app.post("/webhooks", async (req, reply) => {
    const uri = formField(req, "uri");
    if (uri === undefined) throw invalidArgument("uri", "is required: the https URL that receives the events");
    const events = (formField(req, "subscribed_events") ?? "*").split(/[\s,]+/).filter(Boolean);
    const signingScheme = formField(req, "signing_scheme") === "v1a" ? "v1a" : "v1";
    const { webhook, credential } = await services.webhooks.create(req.projectId, {
      uri,
      name: formField(req, "name"),
      subscribed_events: events,
      signing_scheme: signingScheme,
    });
    return sendPage(reply, { title: "Webhook created", section: "webhooks", body: newCredential(webhook, credential, "created") });
  });

  app.get<{ Params: { id: string } }>("/webhooks/:id", async (req, reply) => {
    const webhook = await services.webhooks.get(req.projectId, req.params.id);
    const state = DELIVERY_STATES.find((s) => s === queryParam(req, "state"));
    const pageToken = queryParam(req, "page_token");
    const [health, deliveries] = await Promise.all([
      services.stats.webhookHealth(req.projectId, [webhook.id]),
      services.events.deliveries(req.projectId, { webhookId: webhook.id, state, newestFirst: true }, parsePageRequest(undefined, pageToken)),
    ]);
    const pending = deliveries.items.some((d) => d.state === "pending");
    const readOnly = isReadOnly(req);
    const stateFilter = readOnly
      ? filterLinks("State", `/dashboard/webhooks/${webhook.id}`, "state", [["", "any"], ...DELIVERY_STATES.map((s) => [s, s] as const)], state)
      : html`<form method="get" action="/dashboard/webhooks/${webhook.id}" class="actions">
            <label>State <select name="state">
              <option value="">any</option>
              ${DELIVERY_STATES.map((s) => html`<option value="${s}" ${s === state ? html`selected` : html``}>${s}</option>`)}
            </select></label>
            <button class="secondary" type="submit">Show</button>
          </form>`;
    return sendPage(reply, {
      title: webhook.name || webhook.uri,
      section: "webhooks",
      notice: noticeFrom(req),
      body: (csrf) => html`<h1 class="break">${webhook.name || webhook.uri}</h1>
        ${webhookFacts(webhook, health.get(webhook.id) ?? { attempts: 0, succeeded: 0 }, clock.now())}
        ${readOnly ? html`` : webhookActions(webhook, csrf, clock.now())}
        <section ${pending ? html`data-refresh-while-pending` : html``} aria-labelledby="deliveries">
          <h2 id="deliveries">Deliveries <span class="muted small">newest first</span></h2>
          ${stateFilter}
          ${deliveriesTable(deliveries.items, csrf, { showTarget: false, readOnly })}
          ${pager(`/dashboard/webhooks/${webhook.id}`, { state }, deliveries.nextPageToken, pageToken === undefined)}
        </section>`,
    });
  });

  app.post<{ Params: { id: string } }>("/webhooks/:id/ping", async (req, reply) => {
    await services.webhooks.ping(req.projectId, req.params.id);
    return redirectAfter(reply, `/dashboard/webhooks/${req.params.id}`, "pinged");
  });

  app.post<{ Params: { id: string } }>("/webhooks/:id/rotate", async (req, reply) => {
    const behavior: RevocationBehavior =
      formField(req, "revocation_behavior") === "revoke_previous_secrets_immediately"
        ? "revoke_previous_secrets_immediately"
        : "revoke_previous_secrets_after_h24";
    const credential = await services.webhooks.rotateSecret(req.projectId, req.params.id, behavior);
    const webhook = await services.webhooks.get(req.projectId, req.params.id);
    return sendPage(reply, { title: "New signing secret", section: "webhooks", body: newCredential(webhook, credential, "rotated") });
  });

  app.post<{ Params: { id: string } }>("/webhooks/:id/state", async (req, reply) => {
    const state = formField(req, "state") === "enabled" ? "enabled" : "disabled";
    await services.webhooks.update(req.projectId, req.params.id, { state }, "state");
    return redirectAfter(reply, `/dashboard/webhooks/${req.params.id}`, state);
  });

  app.post<{ Params: { id: string } }>("/webhooks/:id/delete", async (req, reply) => {
    await services.webhooks.delete(req.projectId, req.params.id);
    return redirectAfter(reply, "/dashboard/webhooks", "deleted");
  });

  app.post<{ Params: { id: string } }>("/webhooks/:id/recover", async (req, reply) => {
    const since = parseUtcInput(formField(req, "since"));
    if (since === undefined) throw invalidArgument("since", "is required: the start of the window (UTC), e.g. 2026-05-04T12:00");
    const until = parseUtcInput(formField(req, "until"));
    const count = await services.webhooks.recover(req.projectId, req.params.id, {
      since: new Date(since).toISOString(),
      ...(until !== undefined ? { until: new Date(until).toISOString() } : {}),
    });
    return redirectAfter(reply, `/dashboard/webhooks/${req.params.id}`, `recovered:${count}`);
  });
};

function webhookTable(webhooks: readonly Webhook[], health: Map<string, WebhookHealth>): Markup {
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Webhook</th><th scope="col">State</th><th scope="col">Success, 24 h</th><th scope="col">Median latency</th><th scope="col">Last error</th><th scope="col">Events</th></tr></thead>
    <tbody>${webhooks.map((w) => {
      const h = health.get(w.id) ?? { attempts: 0, succeeded: 0 };
      return html`<tr data-webhook="${w.id}">
        <td class="break"><a href="/dashboard/webhooks/${w.id}">${w.name || w.uri}</a>${w.name ? html`<div class="small muted">${w.uri}</div>` : html``}</td>
        <td>${webhookState(w.state)}</td>
        <td class="num">${percent(h.successRate)} <div class="small muted">${h.attempts} attempts</div></td>
        <td class="num">${millis(h.medianLatencyMs)}</td>
        <td class="small">${h.lastError === undefined ? html`<span class="muted">—</span>` : html`<span class="bad">${h.lastError.error}</span><div class="muted">${time(h.lastError.at)}</div>`}</td>
        <td class="small mono">${w.subscribedEvents.join(", ")}</td>
      </tr>`;
    })}</tbody>
  </table></div>`;
}

function createForm(csrf: string): Markup {
  return html`<h2 id="create">Register a webhook</h2>
    <form method="post" action="/dashboard/webhooks" class="actions" aria-labelledby="create">
      ${csrfField(csrf)}
      <label>URL <input type="url" name="uri" required placeholder="https://example.com/hooks" size="34" /></label>
      <label>Name <input type="text" name="name" placeholder="optional" /></label>
      <label>Events <input type="text" name="subscribed_events" value="*" aria-describedby="events-help" /></label>
      <label>Signing <select name="signing_scheme" aria-describedby="signing-help">
        <option value="v1">v1: HMAC secret</option>
        <option value="v1a">v1a: Ed25519 key pair</option>
      </select></label>
      <button type="submit">Register</button>
    </form>
    <p id="events-help" class="small muted">Events: exact types, <code>prefix.*</code> or <code>*</code>, separated by commas or spaces.</p>
    <p id="signing-help" class="small muted">Signing: <code>v1</code> receivers verify with a secret that could also sign; <code>v1a</code> receivers verify with a public key, which cannot.</p>`;
}

function webhookFacts(webhook: Webhook, health: WebhookHealth, now: number): Markup {
  return html`<dl class="facts">
    <dt>State</dt><dd>${webhookState(webhook.state)}</dd>
    <dt>URL</dt><dd class="mono">${webhook.uri}</dd>
    <dt>Events</dt><dd class="mono">${webhook.subscribedEvents.join(", ")}</dd>
    <dt>Success, 24 h</dt><dd>${percent(health.successRate)} of ${health.attempts} attempts</dd>
    <dt>Median latency, 24 h</dt><dd>${millis(health.medianLatencyMs)}</dd>
    <dt>Last error</dt><dd>${health.lastError === undefined ? "—" : html`<span class="bad">${health.lastError.error}</span> <span class="muted">${time(health.lastError.at)}</span>`}</dd>
    <dt>Signing</dt><dd class="mono">${webhook.signingScheme}</dd>
    <dt>${webhook.signingScheme === "v1a" ? "Public keys" : "Signing secrets"}</dt><dd class="mono break">${activeSecrets(webhook, now).map((s) => html`<div>${s.publicKey ?? truncateSecret(s)}${s.expireAt !== undefined ? html` <span class="muted">(until ${time(s.expireAt)})</span>` : html``}</div>`)}</dd>
    <dt>Created</dt><dd>${time(webhook.createdAt)}</dd>
    <dt>Id</dt><dd class="mono">${webhook.id}</dd>
  </dl>`;
}

function webhookActions(webhook: Webhook, csrf: string, now: number): Markup {
  const base = `/dashboard/webhooks/${webhook.id}`;
  const enabled = webhook.state === "enabled";
  return html`<h2>Actions</h2>
    <div class="actions">
      <form method="post" action="${base}/ping">${csrfField(csrf)}<button type="submit">Ping</button></form>
      <form method="post" action="${base}/state">${csrfField(csrf)}<input type="hidden" name="state" value="${enabled ? "disabled" : "enabled"}" /><button class="secondary" type="submit">${enabled ? "Disable" : "Enable"}</button></form>
      <form method="post" action="${base}/rotate" data-confirm="${webhook.signingScheme === "v1a" ? "Make a new signing key pair?" : "Make a new signing secret? It is shown once."}">
        ${csrfField(csrf)}
        <label>Old secrets <select name="revocation_behavior">
          <option value="revoke_previous_secrets_after_h24">keep signing for 24 h</option>
          <option value="revoke_previous_secrets_immediately">stop at once</option>
        </select></label>
        <button class="secondary" type="submit">${webhook.signingScheme === "v1a" ? "Rotate key" : "Rotate secret"}</button>
      </form>
    </div>
    <form method="post" action="${base}/recover" class="actions" aria-label="Recover failed deliveries">
      ${csrfField(csrf)}
      <label>Recover failed from (UTC) <input type="datetime-local" name="since" required value="${utcInput(now - DAY_MS)}" /></label>
      <label>until (UTC, empty = now) <input type="datetime-local" name="until" /></label>
      <button class="secondary" type="submit">Recover window</button>
    </form>
    <form method="post" action="${base}/delete" class="actions" data-confirm="Delete this webhook? Its pending deliveries fail.">
      ${csrfField(csrf)}<button class="danger" type="submit">Delete webhook</button>
    </form>`;
}

/**
 * Right after a secret is made: a v1 secret, shown this once on a page that is not cached, or a v1a public
 * key, which is not secret and stays on the webhook's page.
 */
function newCredential(webhook: Webhook, credential: NewSigningCredential, what: "created" | "rotated"): Markup {
  const heading = what === "created" ? "Webhook registered" : "secret" in credential ? "New signing secret" : "New signing key";
  const shown =
    "secret" in credential
      ? html`<div class="secret" role="alert">
          <strong>Copy the signing secret now: it is shown only this once.</strong>
          <code data-secret>${credential.secret}</code>
          <span class="small muted">Verify deliveries with it (Standard Webhooks <code>v1</code>); the dashboard will only show <span class="mono">${truncateSecret({ secret: credential.secret })}</span> from now on.</span>
        </div>`
      : html`<div class="secret" role="status">
          <strong>Verify deliveries with this public key (Standard Webhooks <code>v1a</code>, Ed25519).</strong>
          <code data-public-key>${credential.publicKey}</code>
          <span class="small muted">It cannot sign, so it need not be kept secret; the webhook's page always shows it.</span>
        </div>`;
  return html`<h1>${heading}</h1>
    ${shown}
    <p><a href="/dashboard/webhooks/${webhook.id}">Continue to ${webhook.name || webhook.uri}</a></p>`;
}
