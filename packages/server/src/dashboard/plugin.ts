import fastifyCookie from "@fastify/cookie";
import fastifyCsrf from "@fastify/csrf-protection";
import fastifyFormbody from "@fastify/formbody";
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { TidingsError } from "../core/errors.js";
import type { KeyHolder } from "../core/projects.js";
import { toRpcStatus } from "../web/rpc-status.js";
import { STYLESHEET, SCRIPT } from "./assets.js";
import { sendPage, type DashboardDeps } from "./context.js";
import { html } from "./html.js";
import { chartRoutes } from "./pages/charts.js";
import { eventRoutes } from "./pages/events.js";
import { fileRoutes } from "./pages/files.js";
import { interactionRoutes } from "./pages/interactions.js";
import { operationRoutes } from "./pages/operations.js";
import { signInRoutes } from "./pages/sign-in.js";
import { webhookRoutes } from "./pages/webhooks.js";
import { portalRoutes } from "./pages/portal.js";
import { openPortalSession, PORTAL_COOKIE, type PortalAccess } from "./portal-session.js";
import { CSRF_COOKIE, dashboardCookie, openSession, SESSION_COOKIE } from "./session.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The key a dashboard session signed in with; set for every page but sign-in, portal links and assets. */
    dashboardKey?: KeyHolder;
  }
}

const PUBLIC_PATHS = ["/dashboard/sign-in", "/dashboard/assets/", "/dashboard/portal/"];

/** Scripts, styles, media (a video's preview) and requests only from this origin; no framing; forms post only here. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * `/dashboard`: server-rendered pages over the application services, for a person with an API key. Signing in
 * puts the key in a sealed, http-only, SameSite=Strict cookie; every form carries a CSRF token bound to a
 * second cookie, and a POST from another origin is refused before it is read.
 */
export const dashboard: FastifyPluginAsync<DashboardDeps> = async (app, options) => {
  // Not the plugin options themselves: they carry the prefix, which the pages would add a second time.
  const deps: DashboardDeps = {
    services: options.services,
    bus: options.bus,
    clock: options.clock,
    sealer: options.sealer,
    secureCookies: options.secureCookies,
  };
  // Pages, not API: kept out of /openapi.json and of the API's contract checks.
  app.addHook("onRoute", (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: dashboardCookie(deps.secureCookies),
  });

  app.addHook("onRequest", async (req, reply) => {
    reply
      .header("content-security-policy", CONTENT_SECURITY_POLICY)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "same-origin");
    if (req.method === "POST" && !sameOrigin(req, deps.secureCookies))
      throw new TidingsError("PERMISSION_DENIED", "this form was posted from another site");
    if (PUBLIC_PATHS.some((p) => req.url.startsWith(p))) return;
    const session = openSession(deps.sealer, req.cookies[SESSION_COOKIE], deps.clock.now());
    const holder = session === undefined ? undefined : await deps.services.projects.authenticate(session.apiKey);
    // A key revoked, or a session signed out (the key's epoch moved on), ends here.
    if (holder !== undefined && holder.sessionEpoch === session?.epoch) {
      req.projectId = holder.projectId;
      req.dashboardKey = holder;
      return;
    }
    const portal = await portalSession(deps, req);
    if (portal !== undefined) {
      req.projectId = portal.projectId;
      req.portal = portal;
      if (req.method === "POST" && portal.readOnly)
        throw new TidingsError("PERMISSION_DENIED", "this portal link is read-only: it changes nothing");
      return;
    }
    return reply.code(303).header("location", "/dashboard/sign-in").send();
  });
  app.addHook("preHandler", (req, reply, done) =>
    req.method === "POST" ? app.csrfProtection(req, reply, done) : done(),
  );

  app.setErrorHandler((err: FastifyError, req, reply) => errorPage(app, err, req, reply));
  app.setNotFoundHandler((_req, reply) =>
    sendPage(
      reply,
      {
        title: "Not found",
        body: html`<h1>Not found</h1><p>There is no such page. <a href="/dashboard/webhooks">Back to webhooks</a>.</p>`,
      },
      404,
    ),
  );

  app.get("/", async (_req, reply) => reply.code(303).header("location", "/dashboard/webhooks").send());
  app.get("/assets/dashboard.css", async (_req, reply) =>
    reply
      .header("content-type", "text/css; charset=utf-8")
      .header("cache-control", "public, max-age=3600")
      .send(STYLESHEET),
  );
  app.get("/assets/dashboard.js", async (_req, reply) =>
    reply
      .header("content-type", "text/javascript; charset=utf-8")
      .header("cache-control", "public, max-age=3600")
      .send(SCRIPT),
  );

  await app.register(signInRoutes, deps);
  await app.register(portalRoutes, deps);
  await app.register(webhookRoutes, deps);
  await app.register(eventRoutes, deps);
  await app.register(operationRoutes, deps);
  await app.register(interactionRoutes, deps);
  await app.register(chartRoutes, deps);
  await app.register(fileRoutes, deps);
};

/** A portal session (a portal link's), while its cookie is valid and its link neither expired nor was revoked. */
async function portalSession(deps: DashboardDeps, req: FastifyRequest): Promise<PortalAccess | undefined> {
  const claims = openPortalSession(deps.sealer, req.cookies[PORTAL_COOKIE], deps.clock.now());
  if (claims === undefined) return undefined;
  const link = await deps.services.portalLinks.session(claims.linkId);
  return link === undefined || link.projectId !== claims.projectId ? undefined : { ...claims, readOnly: link.readOnly };
}

/**
 * A POST must come from this origin, scheme and host: browsers send Origin on every cross-site POST, and a page
 * served over plain http on the same host (a network attacker's) is another origin. Behind a proxy that ends
 * TLS the request itself arrives over http, so an https public URL decides the scheme.
 */
function sameOrigin(req: FastifyRequest, httpsPublicUrl: boolean): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    const from = new URL(origin);
    const scheme = httpsPublicUrl ? "https:" : `${req.protocol}:`;
    return from.protocol === scheme && from.host === req.headers.host;
  } catch {
    return false;
  }
}

const CSRF_ERRORS = new Set(["FST_CSRF_MISSING_SECRET", "FST_CSRF_INVALID_TOKEN"]);

/** Errors as pages: the same statuses and messages the API gives, in HTML. */
function errorPage(app: FastifyInstance, err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof TidingsError && err.status === "UNAUTHENTICATED")
    return reply.code(303).header("location", "/dashboard/sign-in").send();
  if (CSRF_ERRORS.has(err.code)) {
    const text = "This form has expired or did not come from this dashboard. Reload the page and try again.";
    return sendPage(reply, { title: "Form expired", notice: { text, tone: "bad" }, body: html`` }, 403);
  }
  const { code, body } = toRpcStatus(err);
  if (code >= 500) app.log.error({ err, route: req.routeOptions.url }, "dashboard page failed");
  const back = html`<p><a href="/dashboard/webhooks">Back to webhooks</a></p>`;
  return sendPage(
    reply,
    {
      title: code === 404 ? "Not found" : "Could not do that",
      notice: { text: body.error.message, tone: "bad" },
      body: back,
    },
    code,
  );
}
