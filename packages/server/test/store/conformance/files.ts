import { describe, expect, it } from "vitest";
import { newResourceId } from "../../../src/core/ids.js";
import { file, T0, type StoreFixture } from "./fixtures.js";

export function describeFiles(f: StoreFixture): void {
  describe("files", () => {
    it("stores, gets and pages files, scoped to their project", async () => {
      const { store, projectId } = f;
      const files = [
        file(projectId, { createdAt: T0 }),
        file(projectId, { createdAt: T0 + 1 }),
        file(projectId, {
          createdAt: T0 + 2,
          displayName: "",
          sha256: undefined,
          expireAt: undefined,
          state: "PROCESSING",
          source: "GENERATED",
        }),
      ];
      for (const x of files) await store.files.insert(x);
      expect(await store.files.get(projectId, files[0]!.id)).toEqual(files[0]);
      expect(await store.files.get(projectId, files[2]!.id)).toEqual(files[2]);
      expect(await store.files.get("other-project", files[0]!.id)).toBeUndefined();
      const first = await store.files.list(projectId, { pageSize: 2, offset: 0 });
      expect(first.items.map((x) => x.id)).toEqual([files[0]!.id, files[1]!.id]);
      expect(first.nextPageToken).toBeDefined();
      const second = await store.files.list(projectId, { pageSize: 2, offset: 2 });
      expect(second.items).toEqual([files[2]]);
      expect(second.nextPageToken).toBeUndefined();
      expect((await store.files.list("other-project", { pageSize: 50, offset: 0 })).items).toEqual([]);
    });

    it("keeps ids unique within a project, not across projects", async () => {
      const { store, projectId } = f;
      const x = file(projectId, { id: "chosen-name" });
      await store.files.insert(x);
      await expect(store.files.insert({ ...x, displayName: "again" })).rejects.toThrow();
      const elsewhere = { ...x, projectId: newResourceId(Date.now()) };
      await store.files.insert(elsewhere);
      expect(await store.files.get(elsewhere.projectId, "chosen-name")).toEqual(elsewhere);
    });

    it("sums the bytes a project stores, past 2^32", async () => {
      const { store, projectId } = f;
      expect(await store.files.totalBytes(projectId)).toBe(0);
      await store.files.insert(file(projectId));
      await store.files.insert(file(projectId, { sizeBytes: 7, state: "PROCESSING" }));
      await store.files.insert(file(newResourceId(Date.now()), { sizeBytes: 1000 }));
      expect(await store.files.totalBytes(projectId)).toBe(5_000_000_007);
    });

    it("updates and deletes", async () => {
      const { store, projectId } = f;
      const x = file(projectId, { state: "PROCESSING", sha256: undefined, sizeBytes: 0 });
      await store.files.insert(x);
      const done = {
        ...x,
        state: "ACTIVE" as const,
        sha256: "aGFzaA==",
        sizeBytes: 42,
        displayName: "renamed",
        updatedAt: T0 + 5,
      };
      await store.files.update(done);
      expect(await store.files.get(projectId, x.id)).toEqual(done);
      expect(await store.files.delete("other-project", x.id)).toBe(false);
      expect(await store.files.delete(projectId, x.id)).toBe(true);
      expect(await store.files.delete(projectId, x.id)).toBe(false);
      expect(await store.files.get(projectId, x.id)).toBeUndefined();
    });
  });
}
