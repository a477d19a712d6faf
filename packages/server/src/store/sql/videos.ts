import type { VideoOperation } from "../../core/videos.js";
import type { VideoStore } from "../store.js";
import { toVideo, videoParams, type VideoRow } from "../video-rows.js";
import { insertRow, type SqlDb } from "./db.js";
import { LeasedTable } from "./leased-table.js";
import { UNFINISHED_VIDEOS } from "./states.js";

export class SqlVideos extends LeasedTable<VideoRow, VideoOperation> implements VideoStore {
  constructor(db: SqlDb) {
    super(db, { table: "video_operations", toItem: toVideo }, { renewable: `state IN ${UNFINISHED_VIDEOS}` });
  }

  async insert(video: VideoOperation): Promise<void> {
    await insertRow(this.db, "video_operations", videoParams(video));
  }

  /** A finished video lets go of its run lease. */
  async update(video: VideoOperation): Promise<void> {
    await this.db.run(
      `UPDATE video_operations SET state = :state, handle = :handle, result_file = :result_file, error = :error,
       updated_at = :updated_at, ended_at = :ended_at,
       lease_until = CASE WHEN :state IN ${UNFINISHED_VIDEOS} THEN lease_until END WHERE id = :id`,
      videoParams(video),
    );
  }
}
