import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { invalidArgument } from "../../core/errors.js";
import type { Delivery } from "../../core/deliveries.js";
import { parsePageRequest } from "../../core/pages.js";
import type { RevocationBehavior, Webhook } from "../../core/webhooks.js";
import { activeSecrets, truncateSecret } from "../../core/webhooks.js";
import type { NewSigningCredential } from "../../services/webhooks.js";
import type { WebhookHealth } from "../../services/stats.js";
import { deliveriesTable, filterLinks, invalid, pager, problemNotice, webhookState } from "../components.js";
import {
  formField,
  formProblem,
  formText,
  isReadOnly,
  noticeFrom,
  queryParam,
  redirectAfter,
  sendPage,
  type DashboardDeps,
  type FilledForm,
} from "../context.js";
import { count, millis, parseUtcInput, percent, time, utcInput } from "../format.js";
import { html, type Markup } from "../html.js";
import { csrfField } from "../layout.js";

const DELIVERY_STATES = ["pending", "succeeded", "failed"] as const;
const DAY_MS = 24 * 3_600_000;

/** Webhooks: their health over 24 h, their deliveries and attempts, and every action on them. */
export const webhookRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { services, clock }) => {
  const listPage = async (req: FastifyRequest, reply: FastifyReply, form?: FilledForm) => {
    const pageToken = queryParam(req, "page_token");
    const page = await services.webhooks.list(req.projectId, parsePageRequest(undefined, pageToken));
    const health = await services.stats.webhookHealth(
      req.projectId,
      page.items.map((w) => w.id),
    );
    return sendPage(
      reply,
      {
        title: "Webhooks",
        section: "webhooks",
        notice: noticeFrom(req),
        body: (csrf) => html`<h1>Webhooks</h1>
        ${page.items.length === 0 ? html`<p class="muted">No webhooks yet. Register one below.</p>` : webhookTable(page.items, health)}
        ${pager("/dashboard/webhooks", {}, page.nextPageToken, pageToken === undefined)}
        ${isReadOnly(req) ? html`` : createForm(csrf, form)}`,
      },
      form === undefined ? 200 : 400,
    );
  };

  app.get("/webhooks", (req, reply) => listPage(req, reply));

  app.post("/webhooks", async (req, reply) => {
    const values = {
      uri: formText(req, "uri"),
      name: formText(req, "name"),
      subscribed_events: formText(req, "subscribed_events"),
      signing_scheme: formText(req, "signing_scheme"),
    };
    try {
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
      return sendPage(reply, {
        title: "Webhook created",
        section: "webhooks",
        body: newCredential(webhook, credential, "created"),
      });
    } catch (err) {
      const problem = formProblem(err);
      if (problem === undefined) throw err;
      return listPage(req, reply, { values, problem });
    }
  });

  const detailPage = async (
    req: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
    recoverForm?: FilledForm,
  ) => {
    const webhook = await services.webhooks.get(req.projectId, req.params.id);
    const state = DELIVERY_STATES.find((s) => s === queryParam(req, "state"));
    const pageToken = queryParam(req, "page_token");
    const [health, deliveries, blockedBy] = await Promise.all([
      services.stats.webhookHealth(req.projectId, [webhook.id]),
      services.events.deliveries(
        req.projectId,
        { webhookId: webhook.id, state, newestFirst: true },
        parsePageRequest(undefined, pageToken),
      ),
      services.webhooks.blockedBy(req.projectId, webhook),
    ]);
    const pending = deliveries.items.some((d) => d.state === "pending");
    const readOnly = isReadOnly(req);
    const stateFilter = readOnly
      ? filterLinks(
          "State",
          `/dashboard/webhooks/${webhook.id}`,
          "state",
          [["", "any"], ...DELIVERY_STATES.map((s) => [s, s] as const)],
          state,
        )
      : html`<form method="get" action="/dashboard/webhooks/${webhook.id}" class="actions">
            <label>State <select name="state">
              <option value="">any</option>
              ${DELIVERY_STATES.map((s) => html`<option value="${s}" ${s === state ? html`selected` : html``}>${s}</option>`)}
            </select></label>
            <button class="secondary" type="submit">Show</button>
          </form>`;
    return sendPage(
      reply,
      {
        title: webhook.name || webhook.uri,
        section: "webhooks",
        notice: noticeFrom(req),
        body: (csrf) => html`<h1 class="break">${webhook.name || webhook.uri}</h1>
        ${blockedBy === undefined ? html`` : blockedNotice(blockedBy)}
        ${webhookFacts(webhook, health.get(webhook.id) ?? { attempts: 0, succeeded: 0 }, clock.now())}
        ${readOnly ? html`` : webhookActions(webhook, csrf, clock.now(), recoverForm)}
        <section ${pending ? html`data-refresh-while-pending` : html``} aria-labelledby="deliveries">
          <h2 id="deliveries">Deliveries <span class="muted small">newest first</span></h2>
          ${stateFilter}
          ${deliveriesTable(deliveries.items, csrf, { showTarget: false, readOnly })}
          ${pager(`/dashboard/webhooks/${webhook.id}`, { state }, deliveries.nextPageToken, pageToken === undefined)}
        </section>`,
      },
      recoverForm === undefined ? 200 : 400,
    );
  };

  app.get<{ Params: { id: string } }>("/webhooks/:id", (req, reply) => detailPage(req, reply));

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
    return sendPage(reply, {
      title: "New signing secret",
      section: "webhooks",
      body: newCredential(webhook, credential, "rotated"),
    });
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
    const values = { since: formText(req, "since"), until: formText(req, "until") };
    try {
      const sinceText = formField(req, "since");
      const since = parseUtcInput(sinceText);
      const example = utcInput(clock.now() - DAY_MS);
      if (since === undefined) {
        throw invalidArgument(
          "since",
          sinceText === undefined
            ? `is required: the start of the window in UTC, e.g. ${example}`
            : `must be a time in UTC, e.g. ${example}`,
        );
      }
      const untilText = formField(req, "until");
      const until = parseUtcInput(untilText);
      if (untilText !== undefined && until === undefined)
        throw invalidArgument("until", `must be a time in UTC, e.g. ${utcInput(clock.now())}, or empty for now`);
      const recovered = await services.webhooks.recover(req.projectId, req.params.id, {
        since: new Date(since).toISOString(),
        ...(until !== undefined ? { until: new Date(until).toISOString() } : {}),
      });
      return redirectAfter(reply, `/dashboard/webhooks/${req.params.id}`, `recovered:${recovered}`);
    } catch (err) {
      const problem = formProblem(err);
      if (problem === undefined) throw err;
      return detailPage(req, reply, { values, problem });
    }
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
        <td class="num">${percent(h.successRate)} <div class="small muted">${count(h.attempts, "attempt")}</div></td>
        <td class="num">${millis(h.medianLatencyMs)}</td>
        <td class="small">${h.lastError === undefined ? html`<span class="muted">—</span>` : html`<span class="bad">${h.lastError.error}</span><div class="muted">${time(h.lastError.at)}</div>`}</td>
        <td class="small mono">${w.subscribedEvents.join(", ")}</td>
      </tr>`;
    })}</tbody>
  </table></div>`;
}

function createForm(csrf: string, form?: FilledForm): Markup {
  const value = (name: string, fallback = "") => form?.values[name] ?? fallback;
  return html`<h2 id="create">Register a webhook</h2>
    ${problemNotice(form)}
    <form method="post" action="/dashboard/webhooks" class="actions" aria-labelledby="create">
      ${csrfField(csrf)}
      <label>URL <input type="url" name="uri" required placeholder="https://example.com/hooks" size="34" value="${value("uri")}" ${invalid(form, "uri")} /></label>
      <label>Name <input type="text" name="name" placeholder="optional" value="${value("name")}" ${invalid(form, "name")} /></label>
      <label>Events <input type="text" name="subscribed_events" value="${value("subscribed_events", "*")}" aria-describedby="events-help" ${invalid(form, "subscribed_events")} /></label>
      <label>Signing <select name="signing_scheme" aria-describedby="signing-help">
        <option value="v1">v1: HMAC secret</option>
        <option value="v1a" ${value("signing_scheme") === "v1a" ? html`selected` : html``}>v1a: Ed25519 key pair</option>
      </select></label>
      <button type="submit">Register</button>
    </form>
    <p id="events-help" class="small muted">Events: exact types, <code>prefix.*</code> or <code>*</code>, separated by commas or spaces.</p>
    <p id="signing-help" class="small muted">Signing: <code>v1</code> receivers verify with a secret that could also sign; <code>v1a</code> receivers verify with a public key, which cannot.</p>`;
}

/** A FIFO webhook whose oldest delivery keeps failing: nothing behind it goes until it succeeds or fails for good. */
function blockedNotice(head: Delivery): Markup {
  return html`<p class="flash bad" role="status"><strong>FIFO blocked</strong> by delivery <span class="mono">${head.id}</span>
    of <a class="mono" href="/dashboard/events/${head.eventId}">${head.eventId}</a>: attempt ${head.attemptCount} failed
    (${head.lastError ?? "—"}), next ${time(head.nextAttemptAt)}. The deliveries behind it wait.</p>`;
}

function webhookFacts(webhook: Webhook, health: WebhookHealth, now: number): Markup {
  return html`<dl class="facts">
    <dt>State</dt><dd>${webhookState(webhook.state)}</dd>
    <dt>URL</dt><dd class="mono">${webhook.uri}</dd>
    <dt>Events</dt><dd class="mono">${webhook.subscribedEvents.join(", ")}</dd>
    <dt>Routing</dt><dd>${webhook.ordering === "fifo" ? "FIFO, one at a time" : "unordered"}${webhook.rateLimitPerSecond === undefined ? html`` : html`, at most ${webhook.rateLimitPerSecond} per second`}</dd>
    <dt>Success, 24 h</dt><dd>${percent(health.successRate)} of ${count(health.attempts, "attempt")}</dd>
    <dt>Median latency, 24 h</dt><dd>${millis(health.medianLatencyMs)}</dd>
    <dt>Last error</dt><dd>${health.lastError === undefined ? "—" : html`<span class="bad">${health.lastError.error}</span> <span class="muted">${time(health.lastError.at)}</span>`}</dd>
    <dt>Signing</dt><dd class="mono">${webhook.signingScheme}</dd>
    <dt>${webhook.signingScheme === "v1a" ? "Public keys" : "Signing secrets"}</dt><dd class="mono break">${activeSecrets(webhook, now).map((s) => html`<div>${s.publicKey ?? truncateSecret(s)}${s.expireAt !== undefined ? html` <span class="muted">(until ${time(s.expireAt)})</span>` : html``}</div>`)}</dd>
    <dt>Created</dt><dd>${time(webhook.createdAt)}</dd>
    <dt>Id</dt><dd class="mono">${webhook.id}</dd>
  </dl>`;
}

function webhookActions(webhook: Webhook, csrf: string, now: number, recoverForm?: FilledForm): Markup {
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
    ${problemNotice(recoverForm)}
    <form method="post" action="${base}/recover" class="actions" aria-label="Recover failed deliveries">
      ${csrfField(csrf)}
      <label>Recover failed from (UTC) <input type="text" name="since" required inputmode="numeric" placeholder="${utcInput(now - DAY_MS)}" value="${recoverForm?.values.since ?? utcInput(now - DAY_MS)}" ${invalid(recoverForm, "since")} /></label>
      <label>until (UTC, empty = now) <input type="text" name="until" inputmode="numeric" placeholder="${utcInput(now)}" value="${recoverForm?.values.until ?? ""}" ${invalid(recoverForm, "until")} /></label>
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
  const heading =
    what === "created" ? "Webhook registered" : "secret" in credential ? "New signing secret" : "New signing key";
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
