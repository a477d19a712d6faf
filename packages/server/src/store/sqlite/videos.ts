import type { VideoOperation } from "../../core/videos.js";
import type { VideoStore } from "../store.js";
import { toVideo, VIDEO_COLUMNS, videoUpdateValues, videoValues, type VideoRow } from "../video-rows.js";
import { SqliteAggregate } from "./aggregate.js";

const PLACEHOLDERS = VIDEO_COLUMNS.split(",")
  .map(() => "?")
  .join(", ");

export class SqliteVideos extends SqliteAggregate implements VideoStore {
  insert(video: VideoOperation): Promise<void> {
    return this.run(() => {
      this.statement(`INSERT INTO video_operations (${VIDEO_COLUMNS}) VALUES (${PLACEHOLDERS})`).run(
        ...videoValues(video),
      );
    });
  }

  get(projectId: string, id: string): Promise<VideoOperation | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT * FROM video_operations WHERE project_id = ? AND id = ?").get(projectId, id) as
        | VideoRow
        | undefined;
      return row && toVideo(row);
    });
  }

  /** BEGIN IMMEDIATE already holds the database's write lock: a plain read is a locked read. */
  getForUpdate(projectId: string, id: string): Promise<VideoOperation | undefined> {
    return this.get(projectId, id);
  }

  getMany(projectId: string, ids: readonly string[]): Promise<VideoOperation[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.run(() =>
      (
        this.statement(
          "SELECT * FROM video_operations WHERE project_id = ? AND id IN (SELECT value FROM json_each(?))",
        ).all(projectId, JSON.stringify(ids)) as VideoRow[]
      ).map(toVideo),
    );
  }

  update(video: VideoOperation): Promise<void> {
    return this.run(() => {
      this.statement(
        `UPDATE video_operations SET state = ?, handle = ?, result_file = ?, error = ?, updated_at = ?, ended_at = ?,
         lease_until = CASE WHEN ? IN ('pending', 'running') THEN lease_until END WHERE id = ?`,
      ).run(...videoUpdateValues(video).slice(0, 6), video.state, video.id);
    });
  }

  claim(now: number, leaseUntil: number): Promise<VideoOperation | undefined> {
    return this.atomically(() => {
      const row = this.statement(
        `SELECT * FROM video_operations WHERE state IN ('pending', 'running') AND (lease_until IS NULL OR lease_until < ?)
         ORDER BY created_at LIMIT 1`,
      ).get(now) as VideoRow | undefined;
      if (!row) return undefined;
      this.statement("UPDATE video_operations SET lease_until = ? WHERE id = ?").run(leaseUntil, row.id);
      return toVideo(row);
    });
  }

  renewLease(id: string, leaseUntil: number): Promise<boolean> {
    return this.run(
      () =>
        this.statement(
          "UPDATE video_operations SET lease_until = ? WHERE id = ? AND state IN ('pending', 'running')",
        ).run(leaseUntil, id).changes > 0,
    );
  }

  releaseAll(): Promise<number> {
    return this.run(
      () =>
        this.statement("UPDATE video_operations SET lease_until = NULL WHERE lease_until IS NOT NULL").run().changes,
    );
  }
}
