import { afterEach, beforeEach, describe } from "vitest";
import { newResourceId } from "../../../src/core/ids.js";
import type { Store } from "../../../src/store/store.js";
import { describeBatches } from "./batches.js";
import { describeBatchLines } from "./batch-lines.js";
import { describeDeliveries } from "./deliveries.js";
import { describeRouting } from "./routing.js";
import { describeEvents } from "./events.js";
import { describeFiles } from "./files.js";
import { describeIdempotency } from "./idempotency.js";
import { describeInteractions } from "./interactions.js";
import { T0, type StoreFixture } from "./fixtures.js";
import { describeOperations } from "./operations.js";
import { describePortalLinks } from "./portal-links.js";
import { describeProjects } from "./projects.js";
import { describeRetention } from "./retention.js";
import { describeSigningKeys } from "./signing-keys.js";
import { describeStats } from "./stats.js";
import { describeTransactions } from "./transactions.js";
import { describeVideos } from "./videos.js";
import { describeWebhooks } from "./webhooks.js";
import { describeWorkers } from "./workers.js";

/**
 * The contract every Store driver meets, one suite per aggregate. Run it against each driver: the services
 * and the engine rely on exactly these behaviours, not on any one database.
 */
export function describeStoreConformance(
  name: string,
  open: () => Promise<Store>,
  cleanup: () => Promise<void> = async () => {},
): void {
  describe(`${name} store conformance`, () => {
    const fixture = {} as StoreFixture;
    beforeEach(async () => {
      fixture.store = await open();
      fixture.projectId = newResourceId(Date.now());
      await fixture.store.projects.insert({ id: fixture.projectId, displayName: "p", isDefault: false, createdAt: T0 });
    });
    afterEach(async () => {
      await fixture.store.close();
      await cleanup();
    });

    describeProjects(fixture);
    describeWebhooks(fixture);
    describeOperations(fixture);
    describeEvents(fixture);
    describeDeliveries(fixture);
    describeRouting(fixture);
    describeBatches(fixture);
    describeBatchLines(fixture);
    describeFiles(fixture);
    describeSigningKeys(fixture);
    describeInteractions(fixture);
    describeVideos(fixture);
    describeTransactions(fixture);
    describeStats(fixture);
    describeWorkers(fixture);
    describeRetention(fixture);
    describeIdempotency(fixture);
    describePortalLinks(fixture);
  });
}
