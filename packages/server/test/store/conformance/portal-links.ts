import { describe, expect, it } from "vitest";
import { newResourceId } from "../../../src/core/ids.js";
import type { PortalLink } from "../../../src/core/portal-links.js";
import { T0, type StoreFixture } from "./fixtures.js";

const link = (projectId: string, overrides: Partial<PortalLink> = {}): PortalLink => ({
  id: newResourceId(Date.now()),
  projectId,
  tokenHash: newResourceId(Date.now()),
  readOnly: true,
  createdAt: T0,
  expireAt: T0 + 3_600_000,
  ...overrides,
});

export function describePortalLinks(f: StoreFixture): void {
  describe("portal links", () => {
    it("stores links and lists a project's unexpired ones, newest first, a page at a time", async () => {
      const { store, projectId } = f;
      const older = link(projectId, { readOnly: false, createdAt: T0 });
      const newer = link(projectId, { createdAt: T0 + 1 });
      const expired = link(projectId, { createdAt: T0 + 2, expireAt: T0 + 10 });
      const elsewhere = link("other-project", { createdAt: T0 + 3 });
      for (const l of [older, newer, expired, elsewhere]) await store.portalLinks.insert(l);
      expect(await store.portalLinks.get(older.id)).toEqual(older);
      const first = await store.portalLinks.list(projectId, T0 + 10, { pageSize: 1, offset: 0 });
      expect(first.items).toEqual([newer]);
      expect(first.nextPageToken).toBeDefined();
      const second = await store.portalLinks.list(projectId, T0 + 10, { pageSize: 1, offset: 1 });
      expect(second.items).toEqual([older]);
      expect(second.nextPageToken).toBeUndefined();
    });

    it("opens a link once, by its token's hash, and only before it expires", async () => {
      const { store, projectId } = f;
      const fresh = link(projectId);
      const stale = link(projectId, { expireAt: T0 + 5 });
      for (const l of [fresh, stale]) await store.portalLinks.insert(l);
      const [a, b] = await Promise.all([
        store.portalLinks.open(fresh.tokenHash, T0 + 1),
        store.portalLinks.open(fresh.tokenHash, T0 + 1),
      ]);
      expect([a, b].filter((x) => x !== undefined)).toEqual([{ ...fresh, openedAt: T0 + 1 }]);
      expect(await store.portalLinks.open(fresh.tokenHash, T0 + 2)).toBeUndefined();
      expect(await store.portalLinks.get(fresh.id)).toMatchObject({ openedAt: T0 + 1 });
      expect(await store.portalLinks.open(stale.tokenHash, T0 + 5)).toBeUndefined();
      expect(await store.portalLinks.open("no such hash", T0 + 1)).toBeUndefined();
    });

    it("deletes a link within its project only, and forgets expired ones", async () => {
      const { store, projectId } = f;
      const kept = link(projectId, { expireAt: T0 + 100 });
      const gone = link(projectId, { expireAt: T0 + 10 });
      for (const l of [kept, gone]) await store.portalLinks.insert(l);
      expect(await store.portalLinks.delete("other-project", kept.id)).toBe(false);
      expect(await store.portalLinks.deleteExpired(T0 + 50)).toBe(1);
      expect(await store.portalLinks.get(gone.id)).toBeUndefined();
      expect(await store.portalLinks.delete(projectId, kept.id)).toBe(true);
      expect(await store.portalLinks.get(kept.id)).toBeUndefined();
    });
  });
}
