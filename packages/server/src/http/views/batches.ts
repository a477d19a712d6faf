import type { BatchOperation, GenerateContentBatch } from "@tidings/sdk/contract";
import { batchName, isBatchDone, type Batch, type BatchLine } from "../../core/batches.js";
import { toRfc3339 } from "../../core/clock.js";

type BatchOutput = NonNullable<GenerateContentBatch["output"]>;
type InlinedResponse = NonNullable<BatchOutput["inlinedResponses"]>["inlinedResponses"][number];

/** The Gemini wire view: an Operation whose metadata is the GenerateContentBatch (camelCase). */
export function toBatchOperation(batch: Batch, inlineLines?: readonly BatchLine[]): BatchOperation {
  const name = batchName(batch.id);
  const output: BatchOutput = {};
  if (batch.outputFile !== undefined) output.responsesFile = batch.outputFile;
  if (inlineLines !== undefined) {
    output.inlinedResponses = {
      // A settled line's result is `{response}` or `{error}` as JSON (core/batches.ts).
      inlinedResponses: inlineLines.map((line) => ({
        ...(JSON.parse(line.result ?? "{}") as Omit<InlinedResponse, "metadata">),
        metadata: { key: line.key },
      })),
    };
  }
  const hasOutput = Object.keys(output).length > 0;
  return {
    name,
    metadata: {
      "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
      name,
      model: batch.model,
      displayName: batch.displayName,
      state: batch.state,
      createTime: toRfc3339(batch.createdAt),
      updateTime: toRfc3339(batch.updatedAt),
      ...(batch.endedAt !== undefined ? { endTime: toRfc3339(batch.endedAt) } : {}),
      batchStats: {
        requestCount: String(batch.requestCount),
        successfulRequestCount: String(batch.successfulRequestCount),
        failedRequestCount: String(batch.failedRequestCount),
        pendingRequestCount: String(batch.requestCount - batch.successfulRequestCount - batch.failedRequestCount),
      },
      ...(batch.inputFile !== undefined ? { inputConfig: { fileName: batch.inputFile } } : {}),
      ...(hasOutput ? { output } : {}),
    },
    done: isBatchDone(batch.state),
    ...(batch.error !== undefined ? { error: batch.error } : {}),
    ...(batch.state === "BATCH_STATE_SUCCEEDED"
      ? {
          response: {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput",
            ...output,
          },
        }
      : {}),
  };
}
