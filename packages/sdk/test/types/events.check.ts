// Compiled by tsc in test/typecheck.test.ts, never run. Every `@ts-expect-error` must be needed, so
// the checks fail both when narrowing breaks and when types become too loose (e.g. `any`).
import {
  isEventType,
  verifyWebhook,
  type BatchSucceededEvent,
  type EventOfType,
  type WebhookEvent,
} from "../../src/verify/index.js";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
function assertType<_T extends true>(): void {}

declare const e: WebhookEvent;

// Narrowing on built-in literal types in plain user code.
if (e.type === "batch.succeeded") {
  const uri: string | undefined = e.data.output_file_uri;
  const id: string = e.data.id;
  // @ts-expect-error batch.succeeded has no error fields
  void e.data.error_code;
  void uri;
  void id;
}
switch (e.type) {
  case "batch.failed":
  case "interaction.failed": {
    const code: number = e.data.error_code;
    const message: string = e.data.error_message;
    void code;
    void message;
    break;
  }
  case "interaction.requires_action": {
    const names: string[] = e.data.required_actions.map((action) => action.name);
    const ids: string[] = e.data.required_actions.map((action) => action.id);
    const args: Record<string, unknown>[] = e.data.required_actions.map((action) => action.arguments);
    void names;
    void ids;
    void args;
    break;
  }
  case "video.generated": {
    const file: string = e.data.file_name;
    const uri: string = e.data.output_file_uri;
    const download: string = e.data.video_uri;
    void file;
    void uri;
    void download;
    break;
  }
  case "webhook.ping": {
    const webhook: string = e.data.webhook_id;
    void webhook;
    break;
  }
  case "webhook.disabled": {
    const reason: string = e.data.reason;
    void reason;
    break;
  }
}

// Custom operations' events.
if (e.type === "render.succeeded") {
  const uri: string | undefined = e.data.output_file_uri;
  void uri;
  // The operation's response stays on the operation (GET /v1/operations/{id}); the event is a pointer.
  // @ts-expect-error no response in a custom succeeded event
  void e.data.response;
}
if (e.type === "render.failed") {
  const message: string = e.data.error_message;
  void message;
}

// Not an event type at all.
// @ts-expect-error no overlap with any event type
if (e.type === "batch.done") {
}

// Envelope fields.
const version: "v1" = e.version;
const timestamp: string = e.timestamp;
const metadata: Record<string, unknown> | undefined = e.data.user_metadata;
void version;
void timestamp;
void metadata;
// @ts-expect-error data has no such field on any event
void e.data.no_such_field;
assertType<Equals<IsAny<typeof e.data>, false>>();
assertType<Equals<IsAny<WebhookEvent["type"]>, false>>();

// Exact narrowing: declared custom types, or the isEventType guard.
declare const declared: WebhookEvent<"render" | "transcode">;
if (declared.type === "batch.succeeded") {
  const uri: string = declared.data.output_file_uri;
  void uri;
}
// @ts-expect-error "thumbnail" is not one of the declared custom types
if (declared.type === "thumbnail.succeeded") {
}
if (isEventType(e, "batch.succeeded")) {
  const uri: string = e.data.output_file_uri;
  void uri;
}
assertType<Equals<EventOfType<"batch.succeeded">, BatchSucceededEvent>>();
assertType<Equals<EventOfType<"render.expired">["type"], "render.expired">>();

// verifyWebhook returns the union, and takes the custom types as a parameter.
export async function receive(body: string, headers: Headers): Promise<void> {
  const event = await verifyWebhook<"render">(body, headers, { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
  if (event.type === "batch.succeeded") {
    const uri: string = event.data.output_file_uri;
    void uri;
  }
  const viaJwt = await verifyWebhook(
    body,
    { "webhook-id": "x" },
    { jwks: "https://t.example/.well-known/jwks.json", audience: "https://me" },
  );
  assertType<Equals<typeof viaJwt, WebhookEvent>>();
}
