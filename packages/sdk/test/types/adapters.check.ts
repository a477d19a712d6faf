// Compiled by tsc in test/typecheck.test.ts, never run: the adapters fit real Node and Fastify types.
import http from "node:http";
import Fastify from "fastify";
import {
  createWebhookReceiver,
  expressHandler,
  fastifyPlugin,
  fetchHandler,
  nodeHandler,
  TidingsClient,
  type DedupStore,
} from "../../src/index.js";

const dedup: DedupStore = {
  claim: async (_id: string, _ttlMs: number) => true,
  release: async (_id: string) => {},
};

const receiver = createWebhookReceiver({
  verify: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
  dedup,
  handler: async (event, context) => {
    if (event.type === "batch.succeeded") {
      const uri: string | undefined = event.data.output_file_uri;
      void uri;
    }
    const attempt: number = context.attempt;
    const id: string = context.webhookId;
    void attempt;
    void id;
  },
});

http.createServer(nodeHandler(receiver, { maxBodyBytes: 65_536 }));

const app = Fastify();
void app.register(fastifyPlugin(receiver, { path: "/hooks" }));

const handle: (request: Request) => Promise<Response> = fetchHandler(receiver);
void handle;

// Express's RequestHandler shape, reduced: Request extends IncomingMessage with an `any` body.
type ExpressRequest = http.IncomingMessage & { body: any; params: Record<string, string> };
type ExpressResponse = http.ServerResponse & { locals: Record<string, unknown> };
declare function expressPost(
  path: string,
  ...handlers: Array<(req: ExpressRequest, res: ExpressResponse, next: (err?: any) => void) => void>
): void;
expressPost("/hooks", expressHandler(receiver));

const client = new TidingsClient({ baseUrl: "http://127.0.0.1:8080", apiKey: "k" });
export async function useClient(): Promise<string> {
  const op = await client.operations.create({ type: "render", webhook_config: { uris: ["https://me.example/hook"] } });
  await client.operations.complete(op.name, { output_file_uri: "files/x" });
  const hooks = await client.webhooks.list();
  return hooks.webhooks[0]?.id ?? "";
}
