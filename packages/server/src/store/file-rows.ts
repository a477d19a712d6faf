import type { FileRecord, FileSource, FileState } from "../core/files.js";
import { ms, optMs } from "./sql/db.js";

/** The files table's row, shared by the SQL drivers; pg hands BIGINT columns over as strings. */
export interface FileRow {
  id: string;
  project_id: string;
  display_name: string;
  mime_type: string;
  size_bytes: number | string;
  sha256: string | null;
  state: string;
  source: string;
  created_at: number | string;
  updated_at: number | string;
  expire_at: number | string | null;
}

export const toFile = (r: FileRow): FileRecord => ({
  id: r.id,
  projectId: r.project_id,
  displayName: r.display_name,
  mimeType: r.mime_type,
  sizeBytes: Number(r.size_bytes),
  ...(r.sha256 !== null ? { sha256: r.sha256 } : {}),
  state: r.state as FileState,
  source: r.source as FileSource,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  ...(r.expire_at !== null ? { expireAt: Number(r.expire_at) } : {}),
});

/** The row's values by column; times rounded because PostgreSQL's BIGINT refuses fractions. */
export const fileParams = (f: FileRecord) => ({
  id: f.id,
  project_id: f.projectId,
  display_name: f.displayName,
  mime_type: f.mimeType,
  size_bytes: f.sizeBytes,
  sha256: f.sha256 ?? null,
  state: f.state,
  source: f.source,
  created_at: ms(f.createdAt),
  updated_at: ms(f.updatedAt),
  expire_at: optMs(f.expireAt),
});
