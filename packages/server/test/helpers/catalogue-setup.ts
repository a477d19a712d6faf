/**
 * Setup of the e2e tier (vitest.config.ts): every delivery any receiver of any test records is validated
 * against its type's JSON Schema from the event catalogue, and a test fails if one does not match.
 */
import { afterEach, expect } from "vitest";
import { checkDeliveriesAgainstCatalogue, takeCatalogueResults } from "./receiver.js";

checkDeliveriesAgainstCatalogue();

afterEach(() => {
  expect(takeCatalogueResults().violations, "deliveries that do not match their schema in GET /v1/eventTypes").toEqual(
    [],
  );
});
