const MARKUP = Symbol("markup");

/** Markup that is already safe: built by `html`, never from untrusted text. */
export interface Markup {
  readonly [MARKUP]: string;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function isMarkup(value: unknown): value is Markup {
  return typeof value === "object" && value !== null && MARKUP in value;
}

function renderValue(value: unknown): string {
  if (value === undefined || value === null || value === false) return "";
  if (isMarkup(value)) return value[MARKUP];
  if (Array.isArray(value)) return value.map(renderValue).join("");
  return escapeText(String(value));
}

/**
 * The dashboard's one template form: every interpolated value is escaped unless it is itself `html`, so
 * text from the store (a URI, an error, a payload) can never become markup. Arrays render each item;
 * undefined, null and false render nothing.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += renderValue(value) + (strings[i + 1] ?? "");
  });
  return { [MARKUP]: out };
}

export function render(markup: Markup): string {
  return markup[MARKUP];
}
