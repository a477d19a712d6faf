import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { formField, sendPage, type DashboardDeps } from "../context.js";
import { html } from "../html.js";
import { csrfField } from "../layout.js";
import { CSRF_COOKIE, dashboardCookie, sealSession, SESSION_COOKIE, SESSION_MS } from "../session.js";

/** Signing in with a project's API key, and out. The key travels in a POST body and a sealed cookie only. */
export const signInRoutes: FastifyPluginAsync<DashboardDeps> = async (app, deps) => {
  const cookie = dashboardCookie(deps.secureCookies);

  const form = (csrf: string, failed: boolean) => html`<section class="signin">
    <h1>Sign in</h1>
    <p>Use an API key of your project: the one <code>tidings serve</code> printed on its first start, or <code>TIDINGS_API_KEY</code>.</p>
    ${failed ? html`<p class="flash bad" role="alert">That key is not valid here. Check it and try again.</p>` : html``}
    <form method="post" action="/dashboard/sign-in">
      ${csrfField(csrf)}
      <label>API key <input type="password" name="api_key" autocomplete="current-password" required autofocus /></label>
      <p><button type="submit">Sign in</button></p>
    </form>
    <p class="small muted">The key is kept in an http-only cookie for this dashboard only, for ${SESSION_MS / 3_600_000} hours.</p>
  </section>`;

  app.get("/sign-in", async (_req, reply) => sendSignIn(reply, false));

  app.post("/sign-in", async (req, reply) => {
    const key = formField(req, "api_key");
    const holder = key === undefined ? undefined : await deps.services.projects.authenticate(key);
    if (key === undefined || holder === undefined) return sendSignIn(reply, true);
    reply.setCookie(
      SESSION_COOKIE,
      sealSession(deps.sealer, { apiKey: key, epoch: holder.sessionEpoch }, deps.clock.now()),
      {
        ...cookie,
        maxAge: SESSION_MS / 1000,
      },
    );
    // A new CSRF secret for the new session: one planted in the browser before sign-in (by a sibling subdomain,
    // say) is not kept.
    delete req.cookies[CSRF_COOKIE];
    reply.generateCsrf();
    return reply.code(303).header("location", "/dashboard/webhooks").send();
  });

  // Ends every session of the key, in every browser: the cookie alone, saved and replayed, no longer opens one.
  app.post("/sign-out", async (req, reply) => {
    if (req.dashboardKey !== undefined) await deps.services.projects.endSessions(req.dashboardKey);
    reply.clearCookie(SESSION_COOKIE, cookie);
    return reply.code(303).header("location", "/dashboard/sign-in").send();
  });

  function sendSignIn(reply: FastifyReply, failed: boolean) {
    return sendPage(
      reply,
      { title: "Sign in", signedIn: false, body: (csrf) => form(csrf, failed) },
      failed ? 401 : 200,
    );
  }
};
