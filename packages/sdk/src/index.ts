/**
 * `@tidings/sdk`: verify Tidings webhooks, receive them with a queue, and call Tidings' own API.
 * Edge code that only verifies should import `@tidings/sdk/verify`, which has no Node dependencies.
 */
export * from "./verify/index.js";
export {
  createWebhookReceiver,
  type HandlerContext,
  type ReceiverErrorInfo,
  type ReceiverResponse,
  type WebhookHandler,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from "./receiver/receiver.js";
export { MemoryDedupStore, type DedupStore, type MemoryDedupStoreOptions } from "./receiver/dedup-store.js";
export { RetryQueue, exponentialBackoff, type RetryQueueOptions } from "./receiver/queue.js";
export { nodeHandler, readRawBody, PayloadTooLargeError, type NodeHandlerOptions } from "./receiver/node.js";
export { nodeRequestUrl, type RequestUrlOptions } from "./receiver/request-url.js";
export { expressHandler, type ExpressLikeRequest } from "./receiver/express.js";
export { fastifyPlugin, type FastifyLikeInstance, type FastifyPluginOptions } from "./receiver/fastify.js";
export { fetchHandler, type FetchHandlerOptions, type WaitUntilContext } from "./receiver/fetch.js";
export {
  TidingsClient,
  TidingsApiError,
  TidingsConnectionError,
  OperationsResource,
  EventsResource,
  WebhooksResource,
  ProjectsResource,
  EventTypesResource,
  PortalLinksResource,
  type ApiKey,
  type ApiKeyInfo,
  type CompleteOperationRequest,
  type CreatedPortalLink,
  type CreatedWebhook,
  type CreatePortalLinkRequest,
  type CreateOperationRequest,
  type CreateProjectRequest,
  type CreateWebhookRequest,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryState,
  type EventRecord,
  type EventType,
  type FailOperationRequest,
  type ListApiKeysResponse,
  type ListDeliveriesRequest,
  type ListDeliveriesResponse,
  type ListEventsRequest,
  type ListEventsResponse,
  type ListEventTypesResponse,
  type ListPortalLinksResponse,
  type ListOperationsRequest,
  type ListOperationsResponse,
  type ListWebhooksResponse,
  type Operation,
  type OperationError,
  type PortalLink,
  type PageRequest,
  type Project,
  type RecoverDeliveriesRequest,
  type RecoverDeliveriesResponse,
  type RedeliverEventRequest,
  type RedeliverEventResponse,
  type RevocationBehavior,
  type RotateSigningSecretRequest,
  type RotateSigningSecretResponse,
  type RpcStatus,
  type SigningScheme,
  type SigningSecretInfo,
  type TidingsClientOptions,
  type UpdateWebhookRequest,
  type Webhook,
  type WebhookConfig,
  type WebhookOrdering,
  type WebhookState,
} from "./client.js";
