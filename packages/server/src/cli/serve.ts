import type { Command } from "commander";
import { loadConfig, type ConfigFlags } from "../config.js";
import { startServer } from "../server.js";
import { DEFAULT_SERVER } from "./client.js";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the API and the delivery workers (SQLite in the data dir by default)")
    .option("--host <host>", "address to listen on (TIDINGS_HOST)")
    .option("--port <port>", "port to listen on (TIDINGS_PORT)")
    .option("--data-dir <dir>", "where the database and master key live (TIDINGS_DATA_DIR)")
    .option("--database-url <url>", "PostgreSQL URL instead of SQLite (TIDINGS_DATABASE_URL)")
    .option("--public-url <url>", "the server's public URL, the iss of dynamic webhook tokens (TIDINGS_PUBLIC_URL)")
    .option("--dev", "allow http and loopback webhook targets (TIDINGS_DEV=1)")
    .option("--log-level <level>", "pino log level (TIDINGS_LOG_LEVEL)")
    .option(
      "--role <role>",
      "api, worker or all: split API and delivery across processes sharing PostgreSQL (TIDINGS_ROLE)",
    )
    .action(async (flags: ConfigFlags) => {
      const config = loadConfig(flags);
      const server = await startServer(config);
      const lines = [`Tidings is listening on ${server.url} (data in ${config.dataDir})`];
      if (server.firstRunKey !== undefined) {
        lines.push(
          "",
          `  API key for the default project (shown once, store it now): ${server.firstRunKey}`,
          "",
          "Next steps:",
          `  export TIDINGS_API_KEY=${server.firstRunKey}   # the CLI (npx tidings …) reads it too`,
          `  curl -s ${server.url}/v1/webhooks -H "x-goog-api-key: $TIDINGS_API_KEY" -H 'content-type: application/json' \\`,
          `    -d '{"uri":"https://example.com/hooks","subscribed_events":["*"]}'`,
          `  OpenAPI: ${server.url}/openapi.json`,
        );
      }
      if (new URL(server.url).port !== new URL(DEFAULT_SERVER).port) {
        lines.push(
          "",
          `The CLI talks to ${DEFAULT_SERVER} unless told otherwise; for this server:`,
          `  export TIDINGS_URL=${server.url}`,
        );
      }
      if (!config.dev)
        lines.push(
          "",
          "Webhook targets must be https on public addresses; set TIDINGS_DEV=1 to allow http://127.0.0.1 receivers.",
        );
      process.stdout.write(`${lines.join("\n")}\n`);
      const shutdown = (signal: string) => {
        server.app.log.info({ signal }, "shutting down");
        void server.stop().then(() => process.exit(0));
      };
      process.once("SIGTERM", () => shutdown("SIGTERM"));
      process.once("SIGINT", () => shutdown("SIGINT"));
    });
}
