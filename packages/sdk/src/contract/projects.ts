/** Admin calls: tenants and their API keys (DESIGN §2.7). */
import { Type, type Static } from "@sinclair/typebox";
import { Duration, FreeForm, Message, Timestamp } from "./common.js";

export const Project = Message({
  id: Type.String(),
  display_name: Type.String(),
  create_time: Timestamp(),
  retention: Type.Optional(Duration("how long its finished records are kept; absent: the server's TIDINGS_RETENTION")),
});
export type Project = Static<typeof Project>;

export const UpdateProjectRequest = Message({
  retention: Type.Optional(Duration('how long finished records are kept, e.g. "86400s"; absent (with update_mask=retention): the server\'s default')),
});
export type UpdateProjectRequest = Static<typeof UpdateProjectRequest>;

export const UpdateProjectQuery = Message({
  update_mask: Type.Optional(Type.String({ description: "the fields to update (retention); default: those in the body" })),
});
export type UpdateProjectQuery = Static<typeof UpdateProjectQuery>;

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
