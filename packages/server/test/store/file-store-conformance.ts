import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileRecord } from "../../src/core/files.js";
import { newResourceId } from "../../src/core/ids.js";
import type { Store } from "../../src/store/store.js";

const T0 = Date.parse("2026-05-04T12:00:00Z");

/** The contract every driver's `Store.files` meets; FileService relies on exactly this. */
export function describeFileStoreConformance(name: string, open: () => Promise<Store>, cleanup: () => Promise<void> = async () => {}): void {
  describe(`${name} file store conformance`, () => {
    let store: Store;
    let projectId: string;

    beforeEach(async () => {
      store = await open();
      projectId = newResourceId();
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    const file = (overrides: Partial<FileRecord> = {}): FileRecord => ({
      id: newResourceId(),
      projectId,
      displayName: "in",
      mimeType: "application/jsonl",
      // Past 2^32, so a driver that truncates to 32 bits fails.
      sizeBytes: 5_000_000_000,
      sha256: "c2hh",
      state: "ACTIVE",
      source: "UPLOADED",
      createdAt: T0,
      updatedAt: T0,
      expireAt: T0 + 48 * 3_600_000,
      ...overrides,
    });

    it("stores, gets and pages files, scoped to their project", async () => {
      const files = [file({ createdAt: T0 }), file({ createdAt: T0 + 1 }), file({ createdAt: T0 + 2, displayName: "", sha256: undefined, expireAt: undefined, state: "PROCESSING", source: "GENERATED" })];
      for (const f of files) await store.files.insert(f);
      expect(await store.files.get(projectId, files[0]!.id)).toEqual(files[0]);
      expect(await store.files.get(projectId, files[2]!.id)).toEqual(files[2]);
      expect(await store.files.get("other-project", files[0]!.id)).toBeUndefined();
      const first = await store.files.list(projectId, { pageSize: 2, offset: 0 });
      expect(first.items.map((f) => f.id)).toEqual([files[0]!.id, files[1]!.id]);
      expect(first.nextPageToken).toBeDefined();
      const second = await store.files.list(projectId, { pageSize: 2, offset: 2 });
      expect(second.items).toEqual([files[2]]);
      expect(second.nextPageToken).toBeUndefined();
      expect((await store.files.list("other-project", { pageSize: 50, offset: 0 })).items).toEqual([]);
    });

    it("keeps ids unique within a project, not across projects", async () => {
      const f = file({ id: "chosen-name" });
      await store.files.insert(f);
      await expect(store.files.insert({ ...f, displayName: "again" })).rejects.toThrow();
      const elsewhere = { ...f, projectId: newResourceId() };
      await store.files.insert(elsewhere);
      expect(await store.files.get(elsewhere.projectId, "chosen-name")).toEqual(elsewhere);
    });

    it("updates and deletes", async () => {
      const f = file({ state: "PROCESSING", sha256: undefined, sizeBytes: 0 });
      await store.files.insert(f);
      const done = { ...f, state: "ACTIVE" as const, sha256: "aGFzaA==", sizeBytes: 42, displayName: "renamed", updatedAt: T0 + 5 };
      await store.files.update(done);
      expect(await store.files.get(projectId, f.id)).toEqual(done);
      expect(await store.files.delete("other-project", f.id)).toBe(false);
      expect(await store.files.delete(projectId, f.id)).toBe(true);
      expect(await store.files.delete(projectId, f.id)).toBe(false);
      expect(await store.files.get(projectId, f.id)).toBeUndefined();
    });
  });
}
