import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Empty, Jwks, RotateSigningKeyResponse } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import { authenticateAdmin } from "../auth.js";
import { replies } from "./replies.js";

interface Deps {
  jwks: () => Promise<{ keys: Record<string, unknown>[] }>;
  rotate: () => Promise<{ kid: string; activatesAt: number }>;
  adminKey: string | undefined;
}

/** The public keys receivers verify dynamic webhooks with, and their rotation (docs/wire.md: signing keys). */
export const signingKeyRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, { jwks, rotate, adminKey }) => {
  app.get(
    "/.well-known/jwks.json",
    {
      schema: {
        tags: ["keys"],
        summary: "Public RS256 keys that sign dynamic webhooks (no auth)",
        security: [],
        response: { 200: Jwks },
      },
    },
    async (_req, reply) => {
      // Short enough that a rotation propagates quickly; receivers also refetch on an unknown kid.
      reply.header("cache-control", "public, max-age=300");
      return jwks();
    },
  );

  app.post(
    "/v1/signingKeys::rotate",
    {
      onRequest: authenticateAdmin(adminKey),
      schema: {
        tags: ["admin"],
        summary:
          "Publish a new signing key now; it signs from activate_time (TIDINGS_JWKS_PROPAGATION_S later), and the previous one stays published 48 h after that",
        body: Empty,
        response: replies(RotateSigningKeyResponse),
      },
    },
    async () => {
      const { kid, activatesAt } = await rotate();
      return { kid, activate_time: toRfc3339(activatesAt) };
    },
  );
};
