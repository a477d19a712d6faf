/**
 * The dashboard's session: the API key the user signed in with, sealed (AES-256-GCM under the master key) into
 * an http-only, SameSite=Strict cookie scoped to /dashboard, so it is neither readable by scripts nor sent by
 * other sites, and never appears in a URL. Every request re-checks the key, so revoking it ends the session.
 */
export const SESSION_COOKIE = "tidings_session";
export const SESSION_MS = 12 * 60 * 60 * 1000;

/** The session's and the CSRF secret's cookies alike: this dashboard only, no script, no other site; Secure on https. */
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
}

export function sealSession(sealer: Sealer, apiKey: string, now: number): string {
  return sealer.seal(JSON.stringify({ k: apiKey, t: now } satisfies SessionClaims));
}

/** The API key of a session that is still valid; undefined for a missing, forged, foreign or expired cookie. */
export function openSession(sealer: Sealer, cookie: string | undefined, now: number): string | undefined {
  if (cookie === undefined || cookie === "") return undefined;
  try {
    const claims = JSON.parse(sealer.open(cookie)) as Partial<SessionClaims>;
    if (typeof claims.k !== "string" || typeof claims.t !== "number") return undefined;
    if (claims.t > now || now - claims.t > SESSION_MS) return undefined;
    return claims.k;
  } catch {
    return undefined;
  }
}
