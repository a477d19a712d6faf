import { time } from "./format.js";
import { html, render, type Markup } from "./html.js";
import type { PortalAccess } from "./portal-session.js";

export type Section = "webhooks" | "events" | "operations" | "interactions" | "charts";

const SECTIONS: [Section, string][] = [
  ["webhooks", "Webhooks"],
  ["events", "Events"],
  ["operations", "Operations"],
  ["interactions", "Interactions"],
  ["charts", "Charts"],
];

export interface Notice {
  text: string;
  tone?: "bad";
}

export interface PageOptions {
  title: string;
  section?: Section;
  /** The CSRF token for this page's forms (the sign-out form among them). */
  csrf: string;
  /** False on the sign-in page: no navigation, no sign-out. */
  signedIn?: boolean;
  /** A portal link's session: says so, and a read-only one gets no sign-out form (it has no forms at all). */
  portal?: PortalAccess;
  /**
   * Where the browser goes next, by a meta refresh: a navigation this page starts is same-site, so the
   * SameSite=Strict cookie it just received is sent with it (after a redirect from another site's link it is not).
   */
  next?: string;
  notice?: Notice;
  body: Markup;
}

/** The page shell: skip link, header with navigation and sign-out, the notice, then the page. */
export function page(options: PageOptions): string {
  const nav =
    options.signedIn === false
      ? html``
      : html`<nav aria-label="Dashboard">
            <ul>
              ${SECTIONS.map(([id, label]) => html`<li><a href="/dashboard/${id}" ${id === options.section ? html`aria-current="page"` : html``}>${label}</a></li>`)}
            </ul>
          </nav>
          ${signOut(options)}`;
  return `<!doctype html>${render(html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${options.title} · Tidings</title>
      ${options.next === undefined ? html`` : html`<meta http-equiv="refresh" content="0; url=${options.next}" />`}
      <link rel="stylesheet" href="/dashboard/assets/dashboard.css" />
      <script src="/dashboard/assets/dashboard.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      <header><span class="brand">Tidings</span>${nav}</header>
      <main id="main" tabindex="-1">
        ${options.notice === undefined ? html`` : html`<p class="flash ${options.notice.tone ?? ""}" role="status">${options.notice.text}</p>`}
        ${options.body}
      </main>
    </body>
  </html>`)}`;
}

/** Signing out: of the API-key session, or of a portal session (which also revokes its link); none when read-only. */
function signOut(options: PageOptions): Markup {
  const { portal } = options;
  if (portal === undefined) {
    return html`<form class="inline" method="post" action="/dashboard/sign-out">${csrfField(options.csrf)}<button class="secondary" type="submit">Sign out</button></form>`;
  }
  const what = html`<span class="badge" data-portal>${portal.readOnly ? "Read-only portal" : "Portal"} until ${time(portal.expireAt)}</span>`;
  if (portal.readOnly) return what;
  return html`${what} <form class="inline" method="post" action="/dashboard/sign-out/portal">${csrfField(options.csrf)}<button class="secondary" type="submit">Sign out</button></form>`;
}

export function csrfField(token: string): Markup {
  return html`<input type="hidden" name="_csrf" value="${token}" />`;
}
