/** Portal links (a Tidings extension): single-use links into one project's dashboard, snake_case. */
import { Type, type Static } from "@sinclair/typebox";
import { Duration, Message, PageQuery, Timestamp } from "./common.js";

export const CreatePortalLinkRequest = Message({
  ttl: Type.Optional(
    Duration('how long the link may be opened, and the session it opens lasts: "60s" to "86400s" (default "3600s")'),
  ),
  read_only: Type.Optional(
    Type.Boolean({
      description: "the session sees the project's dashboard but shows no forms and refuses every POST (default false)",
    }),
  ),
});
export type CreatePortalLinkRequest = Static<typeof CreatePortalLinkRequest>;

const portalLinkFields = {
  id: Type.String(),
  read_only: Type.Boolean(),
  create_time: Timestamp(),
  expire_time: Timestamp("the link, and any session it opened, end then"),
  open_time: Type.Optional(Timestamp("when it was opened; a link opens once")),
};

export const PortalLink = Message(portalLinkFields);
export type PortalLink = Static<typeof PortalLink>;

/** The reply to create: the only time the URL is shown (only a hash of its token is kept). */
export const CreatedPortalLink = Message({
  ...portalLinkFields,
  url: Type.String({ description: "opens the project's dashboard once, without the API key; shown only now" }),
});
export type CreatedPortalLink = Static<typeof CreatedPortalLink>;

export const ListPortalLinksQuery = Message({ ...PageQuery });
export type ListPortalLinksQuery = Static<typeof ListPortalLinksQuery>;

export const ListPortalLinksResponse = Message({
  portal_links: Type.Array(PortalLink, { description: "the links that have not expired, newest first" }),
  next_page_token: Type.Optional(Type.String()),
});
export type ListPortalLinksResponse = Static<typeof ListPortalLinksResponse>;
