import type { PortalLink as PortalLinkResource } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import type { PortalLink } from "../../core/portal-links.js";

/** The wire view (snake_case). The URL is added only by create: only its token's hash is kept. */
export function toPortalLinkResource(link: PortalLink): PortalLinkResource {
  return {
    id: link.id,
    read_only: link.readOnly,
    create_time: toRfc3339(link.createdAt),
    expire_time: toRfc3339(link.expireAt),
    ...(link.openedAt !== undefined ? { open_time: toRfc3339(link.openedAt) } : {}),
  };
}
