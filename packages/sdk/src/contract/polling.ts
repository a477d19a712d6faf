/** The polling surface: `GET /v1/operations` lists long-running operations of every kind (DESIGN §2.6). */
import { Type, type Static } from "@sinclair/typebox";
import { BatchOperation } from "./batches.js";
import { Message, PageQuery } from "./common.js";
import { Operation } from "./operations.js";

export const ListOperationsQuery = Message({
  filter: Type.Optional(Type.String({ description: "done=true|false, type=NAME (custom operations), kind=custom|batch, joined by AND" })),
  ...PageQuery,
});
export type ListOperationsQuery = Static<typeof ListOperationsQuery>;

export const ListOperationsResponse = Message({
  operations: Type.Array(Type.Union([Operation, BatchOperation]), { description: "oldest first: custom operations (operations/{id}) and batches (batches/{id})" }),
  nextPageToken: Type.Optional(Type.String()),
});
export type ListOperationsResponse = Static<typeof ListOperationsResponse>;
