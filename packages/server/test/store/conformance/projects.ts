import { describe, expect, it } from "vitest";
import { newResourceId } from "../../../src/core/ids.js";
import { T0, type StoreFixture } from "./fixtures.js";

export function describeProjects(f: StoreFixture): void {
  describe("projects", () => {
    it("maps API key hashes to projects, idempotently", async () => {
      await f.store.projects.addApiKey(f.projectId, "hash-1", T0);
      await f.store.projects.addApiKey(f.projectId, "hash-1", T0);
      expect(await f.store.projects.projectIdForKeyHash("hash-1")).toBe(f.projectId);
      expect(await f.store.projects.projectIdForKeyHash("nope")).toBeUndefined();
    });

    it("finds a project by id and the one default project", async () => {
      expect(await f.store.projects.get(f.projectId)).toEqual({ id: f.projectId, displayName: "p", isDefault: false, createdAt: T0 });
      expect(await f.store.projects.getDefault()).toBeUndefined();
      const def = { id: newResourceId(Date.now()), displayName: "default", isDefault: true, createdAt: T0 };
      await f.store.projects.insert(def);
      expect(await f.store.projects.getDefault()).toEqual(def);
      // Processes starting together must agree on one default project.
      await expect(f.store.projects.insert({ ...def, id: newResourceId(Date.now()) })).rejects.toThrow();
    });
  });
}
