import { html, render, type Markup } from "./html.js";

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
          <form class="inline" method="post" action="/dashboard/sign-out">${csrfField(options.csrf)}<button class="secondary" type="submit">Sign out</button></form>`;
  return `<!doctype html>${render(html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${options.title} · Tidings</title>
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

export function csrfField(token: string): Markup {
  return html`<input type="hidden" name="_csrf" value="${token}" />`;
}
