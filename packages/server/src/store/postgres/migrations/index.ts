import type { Migration } from "../../migrations.js";
import { baseline } from "./0001-baseline.js";
import { leaseColumns } from "./0002-lease-columns.js";
import { claimByEndpoint } from "./0003-claim-by-endpoint.js";
import { stagedSigningKeys } from "./0004-staged-signing-keys.js";
import { interactionsAndVideos } from "./0005-interactions-and-videos.js";
import { deliveryStats } from "./0006-delivery-stats.js";
import { batchesBeingCreated } from "./0007-batches-being-created.js";
import { unfinishedInteractions } from "./0008-unfinished-interactions.js";
import { leanDeliveries } from "./0009-lean-deliveries.js";
import { apiKeyLifecycle } from "./0010-api-key-lifecycle.js";
import { idempotencyKeys } from "./0011-idempotency-keys.js";
import { signingSchemesAndPortalLinks } from "./0012-signing-schemes-and-portal-links.js";
import { webhookRouting } from "./0013-webhook-routing.js";

/** Every PostgreSQL migration, in order. A new one goes at the end with the next number; none is ever edited. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  baseline,
  leaseColumns,
  claimByEndpoint,
  stagedSigningKeys,
  interactionsAndVideos,
  deliveryStats,
  batchesBeingCreated,
  unfinishedInteractions,
  leanDeliveries,
  apiKeyLifecycle,
  idempotencyKeys,
  signingSchemesAndPortalLinks,
  webhookRouting,
];
