/**
 * The dashboard's session: the API key the user signed in with, sealed (AES-256-GCM under the master key) into
 * an http-only, SameSite=Strict cookie scoped to /dashboard, so it is neither readable by scripts nor sent by
 * other sites, and never appears in a URL. Every request re-checks the key, so revoking it ends the session;
 * and the key's session epoch, which signing out raises, so a copy of the cookie saved before is refused.
 */
export const SESSION_COOKIE = "tidings_session";
/** The CSRF secret's cookie (@fastify/csrf-protection); renewed at every sign-in. */
export const CSRF_COOKIE = "tidings_csrf";
export const SESSION_MS = 12 * 60 * 60 * 1000;

/**
 * The session's and the CSRF secret's cookies alike: this dashboard only, no script, no other site; Secure on https.
 */
export function dashboardCookie(secure: boolean) {
  return { path: "/dashboard", httpOnly: true, sameSite: "strict" as const, secure };
}

export interface Sealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

interface SessionClaims {
  /** The API key. */
  k: string;
  /** When the session began (ms). */
  t: number;
  /** The key's session epoch at sign-in; absent in cookies sealed before epochs, which began at 0. */
  e?: number;
}

export interface Session {
  apiKey: string;
  /** Valid while the key's session epoch is still this one. */
  epoch: number;
}

export function sealSession(sealer: Sealer, session: Session, now: number): string {
  return sealer.seal(JSON.stringify({ k: session.apiKey, t: now, e: session.epoch } satisfies SessionClaims));
}

/** The session of a cookie still in its 12 hours; undefined for a missing, forged, foreign or expired cookie. */
export function openSession(sealer: Sealer, cookie: string | undefined, now: number): Session | undefined {
  if (cookie === undefined || cookie === "") return undefined;
  try {
    const claims = JSON.parse(sealer.open(cookie)) as Partial<SessionClaims>;
    if (typeof claims.k !== "string" || typeof claims.t !== "number") return undefined;
    if (claims.t > now || now - claims.t > SESSION_MS) return undefined;
    return { apiKey: claims.k, epoch: typeof claims.e === "number" ? claims.e : 0 };
  } catch {
    return undefined;
  }
}
