import { describe, expect, it } from "vitest";
import { newResourceId } from "../../../src/core/ids.js";
import type { ApiKeyRecord } from "../../../src/core/projects.js";
import { T0, webhook, type StoreFixture } from "./fixtures.js";

const apiKey = (projectId: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id: newResourceId(Date.now()),
  projectId,
  keyHash: `hash-${newResourceId(Date.now())}`,
  createdAt: T0,
  configured: false,
  ...overrides,
});

export function describeProjects(f: StoreFixture): void {
  /** Another project, for keys that must stay out of the fixture's. */
  const otherProject = async () => {
    const id = newResourceId(Date.now());
    await f.store.projects.insert({ id, displayName: "other", isDefault: false, createdAt: T0 });
    return id;
  };

  describe("projects", () => {
    it("maps API key hashes to their key and project, idempotently", async () => {
      const key = apiKey(f.projectId, { keyHash: "hash-1" });
      await f.store.projects.addApiKey(key);
      await f.store.projects.addApiKey({ ...key, id: newResourceId(Date.now()) });
      expect(await f.store.projects.keyHolder("hash-1")).toEqual({
        keyId: key.id,
        projectId: f.projectId,
        sessionEpoch: 0,
      });
      expect(await f.store.projects.keyHolder("nope")).toBeUndefined();
    });

    it("finds a project by id and the one default project", async () => {
      expect(await f.store.projects.get(f.projectId)).toEqual({
        id: f.projectId,
        displayName: "p",
        isDefault: false,
        createdAt: T0,
      });
      expect(await f.store.projects.getDefault()).toBeUndefined();
      const def = { id: newResourceId(Date.now()), displayName: "default", isDefault: true, createdAt: T0 };
      await f.store.projects.insert(def);
      expect(await f.store.projects.getDefault()).toEqual(def);
      // Processes starting together must agree on one default project.
      await expect(f.store.projects.insert({ ...def, id: newResourceId(Date.now()) })).rejects.toThrow();
    });

    it("lists a project's keys oldest first without their hashes, records their use, and revokes them", async () => {
      const { store, projectId } = f;
      const keys = [
        apiKey(projectId, { createdAt: T0 }),
        apiKey(projectId, { createdAt: T0 + 1, configured: true }),
        apiKey(projectId, { createdAt: T0 + 2 }),
      ];
      for (const k of keys) await store.projects.addApiKey(k);
      await store.projects.addApiKey(apiKey(await otherProject()));
      await store.projects.touchApiKey(keys[2]!.id, T0 + 60_000);

      const first = await store.projects.listApiKeys(projectId, { pageSize: 2, offset: 0 });
      expect(first.items).toEqual([
        { id: keys[0]!.id, projectId, createdAt: T0, configured: false },
        { id: keys[1]!.id, projectId, createdAt: T0 + 1, configured: true },
      ]);
      expect(first.nextPageToken).toBeDefined();
      const second = await store.projects.listApiKeys(projectId, { pageSize: 2, offset: 2 });
      expect(second.items).toEqual([
        { id: keys[2]!.id, projectId, createdAt: T0 + 2, lastUsedAt: T0 + 60_000, configured: false },
      ]);

      expect(await store.projects.deleteApiKey("other-project", keys[0]!.id)).toBe(false);
      expect(await store.projects.deleteApiKey(projectId, keys[0]!.id)).toBe(true);
      expect(await store.projects.deleteApiKey(projectId, keys[0]!.id)).toBe(false);
      expect(await store.projects.keyHolder(keys[0]!.keyHash)).toBeUndefined();
      expect((await store.projects.listApiKeys(projectId, { pageSize: 10, offset: 0 })).items.map((k) => k.id)).toEqual(
        [keys[1]!.id, keys[2]!.id],
      );
    });

    it("keeps one configured key per project: a new one replaces the one before, and the same one again changes nothing", async () => {
      const { store, projectId } = f;
      const minted = apiKey(projectId);
      const old = apiKey(projectId, { configured: true });
      const elsewhere = apiKey(await otherProject(), { configured: true });
      for (const k of [minted, old, elsewhere]) await store.projects.addApiKey(k);

      const next = apiKey(projectId, { configured: true });
      expect(await store.projects.setConfiguredApiKey(next)).toEqual([old.id]);
      expect(await store.projects.keyHolder(old.keyHash)).toBeUndefined();
      expect(await store.projects.keyHolder(next.keyHash)).toMatchObject({ keyId: next.id, projectId });
      expect(await store.projects.keyHolder(minted.keyHash)).toMatchObject({ keyId: minted.id });
      expect(await store.projects.keyHolder(elsewhere.keyHash)).toMatchObject({ keyId: elsewhere.id });

      // A restart with the same value: the row stays, with its id.
      expect(await store.projects.setConfiguredApiKey({ ...next, id: newResourceId(Date.now()) })).toEqual([]);
      expect(await store.projects.keyHolder(next.keyHash)).toMatchObject({ keyId: next.id });

      // A key that was minted and is now configured becomes the configured one.
      expect(
        await store.projects.setConfiguredApiKey({ ...minted, id: newResourceId(Date.now()), configured: true }),
      ).toEqual([next.id]);
      const listed = (await store.projects.listApiKeys(projectId, { pageSize: 10, offset: 0 })).items;
      expect(listed).toEqual([expect.objectContaining({ id: minted.id, configured: true })]);
    });

    it("ends a key's dashboard sessions by raising its epoch", async () => {
      const key = apiKey(f.projectId);
      await f.store.projects.addApiKey(key);
      await f.store.projects.endSessions(key.id);
      await f.store.projects.endSessions(key.id);
      expect(await f.store.projects.keyHolder(key.keyHash)).toEqual({
        keyId: key.id,
        projectId: f.projectId,
        sessionEpoch: 2,
      });
    });

    it("lets one transaction at a time check a project-wide limit and write what it allows", async () => {
      const { store, projectId } = f;
      const cap = 3;
      const attempts = Array.from({ length: 8 }, () =>
        store.transaction(async (tx) => {
          await tx.projects.lock(projectId);
          if ((await tx.webhooks.count(projectId)) >= cap) return false;
          // Wide open: without the lock, every transaction would count before any inserts.
          await new Promise((resolve) => setTimeout(resolve, 20));
          await tx.webhooks.insert(webhook(projectId));
          return true;
        }),
      );
      expect((await Promise.all(attempts)).filter(Boolean)).toHaveLength(cap);
      expect(await store.webhooks.count(projectId)).toBe(cap);
    });
  });
}
