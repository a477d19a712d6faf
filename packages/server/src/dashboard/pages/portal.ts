import type { FastifyPluginAsync } from "fastify";
import { sendPage, type DashboardDeps } from "../context.js";
import { html } from "../html.js";
import { PORTAL_COOKIE, sealPortalSession } from "../portal-session.js";
import { dashboardCookie, SESSION_COOKIE } from "../session.js";

/** Opening a portal link (POST /v1/portalLinks), and signing out of the session it opened. */
export const portalRoutes: FastifyPluginAsync<DashboardDeps> = async (app, deps) => {
  const cookie = dashboardCookie(deps.secureCookies);

  app.get<{ Params: { token: string } }>("/portal/:token", async (req, reply) => {
    const link = await deps.services.portalLinks.open(req.params.token);
    if (link === undefined) {
      const body = html`<h1>This link cannot be opened</h1>
        <p>A portal link opens once, until it expires, and not after it was revoked. Ask whoever sent it for a new one.</p>`;
      return sendPage(reply, { title: "Link not valid", signedIn: false, body }, 410);
    }
    // This browser is now the link's: an API-key session it had would otherwise take precedence.
    reply.clearCookie(SESSION_COOKIE, cookie);
    reply.setCookie(PORTAL_COOKIE, sealPortalSession(deps.sealer, link), {
      ...cookie,
      maxAge: Math.max(1, Math.floor((link.expireAt - deps.clock.now()) / 1000)),
    });
    const body = html`<h1>Opening the dashboard…</h1><p><a href="/dashboard/webhooks">Continue to the dashboard</a></p>`;
    return sendPage(reply, { title: "Opening the dashboard", signedIn: false, next: "/dashboard/webhooks", body });
  });

  // Signing out of a portal session ends it for good: its link is revoked.
  app.post("/sign-out/portal", async (req, reply) => {
    if (req.portal !== undefined) await deps.services.portalLinks.end(req.portal.projectId, req.portal.linkId);
    reply.clearCookie(PORTAL_COOKIE, cookie);
    return reply.code(303).header("location", "/dashboard/sign-in").send();
  });
};
