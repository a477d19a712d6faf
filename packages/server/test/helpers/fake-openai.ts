import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeOpenAI {
  /** Base URL to give TIDINGS_PROVIDER_BASE_URL. */
  url: string;
  /** The last user message of every chat completion received, in arrival order. */
  prompts: string[];
  close(): Promise<void>;
}

/** A local server speaking the OpenAI chat-completions wire format, answering each prompt after `delayMs`. */
export async function startFakeOpenAI(delayMs = 0): Promise<FakeOpenAI> {
  const prompts: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const request = JSON.parse(body) as { model: string; messages: { role: string; content: string }[] };
      const prompt = request.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
      prompts.push(prompt);
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            id: `chatcmpl-${prompts.length}`,
            object: "chat.completion",
            model: request.model,
            choices: [{ index: 0, message: { role: "assistant", content: `echo: ${prompt}` }, finish_reason: "stop" }],
            usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
          }),
        );
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    prompts,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
