/** The polling surface: `GET /v1/operations` lists long-running operations of every kind (docs/wire.md: operations). */
import { Type, type Static } from "@sinclair/typebox";
import { BatchOperation } from "./batches.js";
import { Message, PageQuery } from "./common.js";
import { Operation } from "./operations.js";
import { VideoOperation } from "./videos.js";

export const ListOperationsQuery = Message({
  filter: Type.Optional(
    Type.String({
      description: "done=true|false, type=NAME (custom operations), kind=custom|batch|video, joined by AND",
    }),
  ),
  ...PageQuery,
});
export type ListOperationsQuery = Static<typeof ListOperationsQuery>;

export const ListOperationsResponse = Message({
  operations: Type.Array(Type.Union([Operation, BatchOperation, VideoOperation]), {
    description:
      "oldest first: custom operations (operations/{id}), batches (batches/{id}) and video generations (models/{model}/operations/{id})",
  }),
  nextPageToken: Type.Optional(Type.String()),
});
export type ListOperationsResponse = Static<typeof ListOperationsResponse>;
