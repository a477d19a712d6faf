import type {} from "@fastify/csrf-protection";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../core/clock.js";
import { TidingsError, type ErrorStatus } from "../core/errors.js";
import type { EventBus } from "../services/event-bus.js";
import type { Services } from "../services/index.js";
import type { Markup } from "./html.js";
import { page, type Notice, type PageOptions } from "./layout.js";
import type { PortalAccess } from "./portal-session.js";
import type { Sealer } from "./session.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set when the request comes with a portal session (a portal link's) rather than an API-key one. */
    portal?: PortalAccess;
  }
}

/** A read-only portal session: pages show no forms, and every POST is refused before it is read. */
export function isReadOnly(req: FastifyRequest): boolean {
  return req.portal?.readOnly === true;
}

/** What the dashboard stands on: the application services (never the store), the event bus, time and sealing. */
export interface DashboardDeps {
  services: Services;
  bus: EventBus;
  clock: Clock;
  /** Seals the session cookie (the master key's AES-256-GCM box). */
  sealer: Sealer;
  /** Cookies are `Secure`: the public URL is https. */
  secureCookies: boolean;
}

/** Sends a full page; pages are never cached (a secret is shown once, and pages are per user). */
export function sendPage(
  reply: FastifyReply,
  options: Omit<PageOptions, "csrf" | "body" | "portal"> & { body: Markup | ((csrf: string) => Markup) },
  status = 200,
): FastifyReply {
  const csrf = reply.generateCsrf();
  const body = typeof options.body === "function" ? options.body(csrf) : options.body;
  return reply
    .code(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(page({ ...options, body, csrf, portal: reply.request.portal }));
}

/** After an action: back to a page, with one of a fixed set of notices (no text from the request is echoed). */
export function redirectAfter(reply: FastifyReply, path: string, notice?: string): FastifyReply {
  const url =
    notice === undefined ? path : `${path}${path.includes("?") ? "&" : "?"}notice=${encodeURIComponent(notice)}`;
  return reply.code(303).header("location", url).send();
}

const NOTICES: Record<string, (n?: string) => Notice> = {
  pinged: () => ({ text: "Ping sent: a webhook.ping event is on its way." }),
  enabled: () => ({ text: "Webhook enabled." }),
  disabled: () => ({ text: "Webhook disabled: its pending deliveries stay until it is enabled again." }),
  deleted: () => ({ text: "Webhook deleted." }),
  recovered: (n) => ({ text: `${n ?? 0} failed deliveries re-queued.` }),
  redelivered: (n) => ({
    text: `Redelivered: ${n ?? 0} new deliveries of this event. Their attempts appear below as they happen.`,
  }),
};

export function noticeFrom(req: FastifyRequest): Notice | undefined {
  const value = (req.query as Record<string, unknown> | undefined)?.notice;
  if (typeof value !== "string") return undefined;
  const [name = "", count] = value.split(":");
  const make = NOTICES[name];
  return make === undefined ? undefined : make(count !== undefined && /^\d+$/.test(count) ? count : undefined);
}

/** A query parameter as a string, if given and not empty. */
export function queryParam(req: FastifyRequest, name: string): string | undefined {
  const value = (req.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A form field as a string (absent and empty alike are undefined). */
export function formField(req: FastifyRequest, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** A form field exactly as typed, to show it again (absent is undefined). */
export function formText(req: FastifyRequest, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value : undefined;
}

/** A form sent back to the person who filled it: what they typed, and what to fix. */
export interface FilledForm {
  values: Record<string, string | undefined>;
  problem: TidingsError;
}

/** What the person filling a form can fix (bad input, a limit); other errors are pages of their own. */
const FORM_PROBLEMS: ReadonlySet<ErrorStatus> = new Set([
  "INVALID_ARGUMENT",
  "FAILED_PRECONDITION",
  "RESOURCE_EXHAUSTED",
  "ALREADY_EXISTS",
]);

export function formProblem(err: unknown): TidingsError | undefined {
  return err instanceof TidingsError && FORM_PROBLEMS.has(err.status) ? err : undefined;
}
