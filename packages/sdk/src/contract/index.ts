/**
 * `@tidings/sdk/contract`: the wire contract of Tidings' HTTP API as TypeBox schemas (JSON Schema at run
 * time, TypeScript types at compile time). The server validates, serializes and documents with them; the
 * SDK's client is typed by them.
 */
export * from "./common.js";
export * from "./deliveries.js";
export * from "./webhooks.js";
export * from "./operations.js";
export * from "./events.js";
export * from "./event-types.js";
export * from "./portal-links.js";
export * from "./projects.js";
export * from "./files.js";
export * from "./models.js";
export * from "./batches.js";
export * from "./interactions.js";
export * from "./videos.js";
export * from "./polling.js";
