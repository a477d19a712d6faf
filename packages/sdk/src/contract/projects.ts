/** Admin calls: tenants and their API keys (DESIGN §2.7). */
import { Type, type Static } from "@sinclair/typebox";
import { FreeForm, Message, Timestamp } from "./common.js";

export const Project = Message({
  id: Type.String(),
  display_name: Type.String(),
  create_time: Timestamp(),
});
export type Project = Static<typeof Project>;

export const CreateProjectRequest = Message({ display_name: Type.Optional(Type.String({ maxLength: 256 })) });
export type CreateProjectRequest = Static<typeof CreateProjectRequest>;

export const ApiKey = Message({
  key: Type.String({ description: "shown once: the server keeps only a hash" }),
  project_id: Type.String(),
});
export type ApiKey = Static<typeof ApiKey>;

/** The public keys that sign dynamic webhooks. */
export const Jwks = Message({
  keys: Type.Array(FreeForm("an RS256 public JWK: kty, kid, alg, use, n, e")),
});
export type Jwks = Static<typeof Jwks>;

export const RotateSigningKeyResponse = Message({
  kid: Type.String({ description: "the new key, published in the JWKS now" }),
  activate_time: Timestamp("when it starts signing: TIDINGS_JWKS_PROPAGATION_S from now, once receivers have had time to fetch it"),
});
export type RotateSigningKeyResponse = Static<typeof RotateSigningKeyResponse>;
