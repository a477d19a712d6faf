import type { VideoOperation } from "../../core/videos.js";
import type { VideoStore } from "../store.js";
import { toVideo, VIDEO_COLUMNS, videoUpdateValues, videoValues, type VideoRow } from "../video-rows.js";
import { ms, type PgExecutor } from "./executor.js";

const PLACEHOLDERS = VIDEO_COLUMNS.split(",")
  .map((_, i) => `$${i + 1}`)
  .join(", ");

export class PgVideos implements VideoStore {
  constructor(private readonly db: PgExecutor) {}

  async insert(video: VideoOperation): Promise<void> {
    await this.db.query(`INSERT INTO video_operations (${VIDEO_COLUMNS}) VALUES (${PLACEHOLDERS})`, videoValues(video));
  }

  async get(projectId: string, id: string): Promise<VideoOperation | undefined> {
    const row = await this.db.first<VideoRow>("SELECT * FROM video_operations WHERE project_id = $1 AND id = $2", [
      projectId,
      id,
    ]);
    return row && toVideo(row);
  }

  /** FOR UPDATE: two processes ending one operation serialise here, and the second sees the first's outcome. */
  async getForUpdate(projectId: string, id: string): Promise<VideoOperation | undefined> {
    const row = await this.db.first<VideoRow>(
      "SELECT * FROM video_operations WHERE project_id = $1 AND id = $2 FOR UPDATE",
      [projectId, id],
    );
    return row && toVideo(row);
  }

  async getMany(projectId: string, ids: readonly string[]): Promise<VideoOperation[]> {
    if (ids.length === 0) return [];
    return (
      await this.db.all<VideoRow>("SELECT * FROM video_operations WHERE project_id = $1 AND id = ANY($2::text[])", [
        projectId,
        [...ids],
      ])
    ).map(toVideo);
  }

  async update(video: VideoOperation): Promise<void> {
    await this.db.query(
      `UPDATE video_operations SET state = $1, handle = $2, result_file = $3, error = $4, updated_at = $5, ended_at = $6,
       lease_until = CASE WHEN $1 IN ('pending', 'running') THEN lease_until END WHERE id = $7`,
      videoUpdateValues(video),
    );
  }

  async claim(now: number, leaseUntil: number): Promise<VideoOperation | undefined> {
    const row = await this.db.first<VideoRow>(
      `UPDATE video_operations SET lease_until = $2
       WHERE id = (SELECT id FROM video_operations WHERE state IN ('pending', 'running') AND (lease_until IS NULL OR lease_until < $1)
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [ms(now), ms(leaseUntil)],
    );
    return row && toVideo(row);
  }

  async renewLease(id: string, leaseUntil: number): Promise<boolean> {
    return (
      (await this.db.count(
        "UPDATE video_operations SET lease_until = $2 WHERE id = $1 AND state IN ('pending', 'running')",
        [id, ms(leaseUntil)],
      )) > 0
    );
  }

  releaseAll(): Promise<number> {
    return this.db.count("UPDATE video_operations SET lease_until = NULL WHERE lease_until IS NOT NULL");
  }
}
