/** Gemini's Files API (docs/wire.md: files): camelCase, as @google/genai reads and sends it. */
import { Type, type Static } from "@sinclair/typebox";
import { GeminiPageQuery, Int64String, Message, StringEnum, Timestamp } from "./common.js";

export const FILE_STATES = ["PROCESSING", "ACTIVE", "FAILED"] as const;
export const FILE_SOURCES = ["UPLOADED", "GENERATED"] as const;

export const FileResource = Message({
  name: Type.String({ description: "files/{id}" }),
  displayName: Type.Optional(Type.String()),
  mimeType: Type.String(),
  sizeBytes: Int64String("int64 as a string, as Gemini"),
  createTime: Timestamp(),
  updateTime: Timestamp(),
  expirationTime: Type.Optional(Timestamp("informational: files are kept until deleted")),
  sha256Hash: Type.Optional(Type.String({ description: "base64 of the hex SHA-256 digest, as Gemini" })),
  uri: Type.String(),
  downloadUri: Type.String(),
  state: StringEnum(FILE_STATES),
  source: StringEnum(FILE_SOURCES),
});
export type FileResource = Static<typeof FileResource>;

export const ListFilesQuery = Message({ ...GeminiPageQuery });
export type ListFilesQuery = Static<typeof ListFilesQuery>;

export const ListFilesResponse = Message({
  files: Type.Array(FileResource),
  nextPageToken: Type.Optional(Type.String()),
});
export type ListFilesResponse = Static<typeof ListFilesResponse>;

/** The JSON body that starts a resumable upload; the bytes follow in chunks. */
export const StartUploadRequest = Message({
  file: Type.Optional(
    Message({
      name: Type.Optional(Type.String({ description: "files/{id} to choose the id: up to 40 of [a-z0-9-]" })),
      displayName: Type.Optional(Type.String({ maxLength: 512 })),
      mimeType: Type.Optional(Type.String({ description: "default: the X-Goog-Upload-Header-Content-Type header" })),
      sizeBytes: Type.Optional(
        Type.Union([Int64String(), Type.Integer()], {
          description: "default: the X-Goog-Upload-Header-Content-Length header",
        }),
      ),
    }),
  ),
});
export type StartUploadRequest = Static<typeof StartUploadRequest>;

/** The upload URL's query: without `upload_id` a request starts a session, with it it sends a chunk. */
export const UploadQuery = Message({
  upload_id: Type.Optional(Type.String({ maxLength: 128 })),
  upload_protocol: Type.Optional(Type.String({ description: "resumable" })),
});
export type UploadQuery = Static<typeof UploadQuery>;

/** The reply to a finalizing chunk; empty before that. */
export const UploadResponse = Message({ file: Type.Optional(FileResource) });
export type UploadResponse = Static<typeof UploadResponse>;

export const DownloadQuery = Message({
  alt: Type.Optional(StringEnum(["media"] as const, { description: "media: the file's bytes" })),
});
export type DownloadQuery = Static<typeof DownloadQuery>;
