import { createHash } from "node:crypto";
import type { EventPayload } from "../../core/events.js";

const TOKEN_LIFETIME_S = 300;

/**
 * The claims of a dynamic webhook's JWT (docs/wire.md: signing): who sent it, for whom, when, and a hash binding the
 * body. The event itself stays in the body: claims travel in a header, which proxies and servers cap
 * (node:http at 16 KB), so the token must not grow with `user_metadata`.
 */
export function webhookClaims(input: {
  issuer: string;
  audience: string;
  webhookId: string;
  body: string;
  issuedAt: number;
}): Record<string, unknown> {
  const { type } = JSON.parse(input.body) as Pick<EventPayload, "type">;
  return {
    iss: input.issuer,
    aud: input.audience,
    iat: input.issuedAt,
    exp: input.issuedAt + TOKEN_LIFETIME_S,
    jti: input.webhookId,
    body_sha256: createHash("sha256").update(input.body, "utf8").digest("base64url"),
    type,
  };
}
