import { type ConfigureApiKey, insertApiKey } from "../sql/projects.js";

/** SQLite's one writer runs these statements with no other transaction between them. */
export const sqliteConfigureApiKey: ConfigureApiKey = (db, key) =>
  db.atomically(async (db) => {
    const params = { keyHash: key.keyHash, projectId: key.projectId };
    await insertApiKey(db, key);
    await db.run("UPDATE api_keys SET configured = 1 WHERE key_hash = :keyHash AND project_id = :projectId", params);
    const replaced = await db.all<{ id: string }>(
      "DELETE FROM api_keys WHERE project_id = :projectId AND configured = 1 AND key_hash <> :keyHash RETURNING id",
      params,
    );
    return replaced.map((r) => r.id);
  });
