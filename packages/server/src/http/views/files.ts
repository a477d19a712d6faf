import type { FileResource } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import { fileName, type FileRecord } from "../../core/files.js";

/**
 * The wire view, camelCase like Gemini's `File`. `uri` is what Gemini calls the resource's URL; the
 * download URI is the media endpoint that `ai.files.download` and plain HTTP clients can fetch.
 */
export function toFileResource(file: FileRecord, publicUrl: string): FileResource {
  return {
    name: fileName(file.id),
    ...(file.displayName !== "" ? { displayName: file.displayName } : {}),
    mimeType: file.mimeType,
    sizeBytes: String(file.sizeBytes),
    createTime: toRfc3339(file.createdAt),
    updateTime: toRfc3339(file.updatedAt),
    ...(file.expireAt !== undefined ? { expirationTime: toRfc3339(file.expireAt) } : {}),
    ...(file.sha256 !== undefined ? { sha256Hash: file.sha256 } : {}),
    uri: `${publicUrl}/v1beta/files/${file.id}`,
    downloadUri: `${publicUrl}/download/v1beta/files/${file.id}:download?alt=media`,
    state: file.state,
    source: file.source,
  };
}
