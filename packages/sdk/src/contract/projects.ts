/** Admin calls: tenants and their API keys (docs/wire.md: projects and API keys). */
import { Type, type Static } from "@sinclair/typebox";
import { Duration, FreeForm, Message, PageQuery, Timestamp } from "./common.js";

export const Project = Message({
  id: Type.String(),
  display_name: Type.String(),
  create_time: Timestamp(),
  retention: Type.Optional(Duration("how long its finished records are kept; absent: the server's TIDINGS_RETENTION")),
});
export type Project = Static<typeof Project>;

export const UpdateProjectRequest = Message({
  retention: Type.Optional(
    Duration(
      'how long finished records are kept, e.g. "86400s"; absent (with update_mask=retention): the server\'s default',
    ),
  ),
});
export type UpdateProjectRequest = Static<typeof UpdateProjectRequest>;

export const UpdateProjectQuery = Message({
  update_mask: Type.Optional(
    Type.String({ description: "the fields to update (retention); default: those in the body" }),
  ),
});
export type UpdateProjectQuery = Static<typeof UpdateProjectQuery>;

export const CreateProjectRequest = Message({ display_name: Type.Optional(Type.String({ maxLength: 256 })) });
export type CreateProjectRequest = Static<typeof CreateProjectRequest>;

export const ApiKey = Message({
  key: Type.String({ description: "shown once: the server keeps only a hash" }),
  id: Type.String({
    description: "names the key in lists and to revoke it (DELETE /v1/projects/{id}/apiKeys/{key_id})",
  }),
  project_id: Type.String(),
});
export type ApiKey = Static<typeof ApiKey>;

/** An API key as listed: never the key itself. */
export const ApiKeyInfo = Message({
  id: Type.String(),
  project_id: Type.String(),
  create_time: Timestamp(),
  last_use_time: Type.Optional(Timestamp("when the key last authenticated a request, to the minute; absent if never")),
  configured: Type.Boolean({
    description: "the key TIDINGS_API_KEY sets: setting another value and restarting revokes it",
  }),
});
export type ApiKeyInfo = Static<typeof ApiKeyInfo>;

export const ListApiKeysQuery = Message(PageQuery);
export type ListApiKeysQuery = Static<typeof ListApiKeysQuery>;

export const ListApiKeysResponse = Message({
  api_keys: Type.Array(ApiKeyInfo),
  next_page_token: Type.Optional(Type.String()),
});
export type ListApiKeysResponse = Static<typeof ListApiKeysResponse>;

/** `{id}` and `{key_id}` in `/v1/projects/{id}/apiKeys/{key_id}`. */
export const ApiKeyParams = Message({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  key_id: Type.String({ minLength: 1, maxLength: 128 }),
});
export type ApiKeyParams = Static<typeof ApiKeyParams>;

/** The public keys that sign dynamic webhooks. */
export const Jwks = Message({
  keys: Type.Array(FreeForm("an RS256 public JWK: kty, kid, alg, use, n, e")),
});
export type Jwks = Static<typeof Jwks>;

export const RotateSigningKeyResponse = Message({
  kid: Type.String({ description: "the new key, published in the JWKS now" }),
  activate_time: Timestamp(
    "when it starts signing: TIDINGS_JWKS_PROPAGATION_S from now, once receivers have had time to fetch it",
  ),
});
export type RotateSigningKeyResponse = Static<typeof RotateSigningKeyResponse>;
