import type { ConfigureApiKey } from "../sql/projects.js";
import { ms } from "../sql/db.js";

/** One statement: processes starting together with the same key must not delete each other's row. */
export const postgresConfigureApiKey: ConfigureApiKey = async (db, key) => {
  const rows = await db.all<{ id: string }>(
    `WITH added AS (
       INSERT INTO api_keys (id, key_hash, project_id, created_at, configured) VALUES (:id, :keyHash, :projectId, :createdAt, true)
       ON CONFLICT (key_hash) DO UPDATE SET configured = api_keys.configured OR api_keys.project_id = excluded.project_id
     )
     DELETE FROM api_keys WHERE project_id = :projectId AND configured AND key_hash <> :keyHash RETURNING id`,
    { id: key.id, keyHash: key.keyHash, projectId: key.projectId, createdAt: ms(key.createdAt) },
  );
  return rows.map((r) => r.id);
};
