import type { ApiKeyInfo } from "@tidings/sdk";
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { toRfc3339 } from "../core/clock.js";
import { parsePageRequest } from "../core/pages.js";
import { createLogger } from "../observability/logging.js";
import { systemClock } from "../runtime/system-clock.js";
import { ProjectService, type MintedKey } from "../services/projects.js";
import { openStore } from "../store/open.js";
import { DEFAULT_SERVER } from "./client.js";
import { TidingsClient } from "@tidings/sdk";

interface KeysFlags {
  project?: string;
  /** Local: open the database directly, as `tidings serve` does. */
  local?: boolean;
  dataDir?: string;
  databaseUrl?: string;
  /** Remote: the admin API of a running server. */
  server: string;
  adminKey?: string;
}

/** What the three commands need, over the admin API or straight from the database. */
interface KeyKeeper {
  /** The project the command acts on: `--project`, or locally the default project. */
  projectId: string;
  create(): Promise<MintedKey>;
  list(): Promise<ApiKeyInfo[]>;
  revoke(keyId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * `tidings keys list|create|revoke`: a project's API keys. Through a running server's admin API (TIDINGS_ADMIN_KEY
 * and `--project`), or, with `--data-dir`, `--database-url` or `--local`, on the host, straight from the database
 * with no admin key: how the only key of a project is recovered when it is lost.
 */
export function registerKeys(program: Command): void {
  const keys = program
    .command("keys")
    .description("list, mint and revoke a project's API keys (admin API, or the database itself with --data-dir)")
    .addHelpText(
      "after",
      "\nLost the only key? On the server's host: tidings keys create --data-dir DIR (PostgreSQL: TIDINGS_DATABASE_URL, as for tidings serve, and --local).",
    );
  const withOptions = (command: Command) =>
    command
      .option("--project <id>", "the project (locally, the default project unless given)")
      .option("--data-dir <dir>", "act on the SQLite database in this data dir, on this host (no admin key needed)")
      .option("--database-url <url>", "act on this PostgreSQL database directly (no admin key needed)")
      .option("--local", "act on the database tidings serve would open (TIDINGS_DATA_DIR or TIDINGS_DATABASE_URL)")
      .option("--server <url>", "the Tidings server (TIDINGS_URL)", process.env.TIDINGS_URL || DEFAULT_SERVER)
      .option("--admin-key <key>", "the admin key (TIDINGS_ADMIN_KEY)");

  withOptions(keys.command("create").description("mint an API key; prints it once")).action(
    async (flags: KeysFlags) => {
      await withKeeper(flags, async (keeper) => {
        const minted = await keeper.create();
        process.stdout.write(`${minted.key}\n`);
        process.stderr.write(
          `API key ${minted.id} for project ${minted.projectId}: shown once, above; store it now.\n`,
        );
      });
    },
  );

  withOptions(keys.command("list").description("the project's keys: ids, creation, last use; never the keys")).action(
    async (flags: KeysFlags) => {
      await withKeeper(flags, async (keeper) => {
        const listed = await keeper.list();
        if (listed.length === 0) process.stdout.write(`project ${keeper.projectId} has no API keys\n`);
        for (const k of listed) {
          const used = k.last_use_time === undefined ? "never used" : `last used ${k.last_use_time}`;
          process.stdout.write(
            `${k.id}  created ${k.create_time}  ${used}${k.configured ? "  (TIDINGS_API_KEY)" : ""}\n`,
          );
        }
      });
    },
  );

  withOptions(keys.command("revoke").argument("<key-id>").description("revoke a key: refused from now on")).action(
    async (keyId: string, flags: KeysFlags) => {
      await withKeeper(flags, async (keeper) => {
        await keeper.revoke(keyId);
        process.stdout.write(`revoked ${keyId}\n`);
      });
    },
  );
}

async function withKeeper(flags: KeysFlags, work: (keeper: KeyKeeper) => Promise<void>): Promise<void> {
  const keeper =
    flags.local || flags.dataDir !== undefined || flags.databaseUrl !== undefined
      ? await localKeeper(flags)
      : remoteKeeper(flags);
  try {
    await work(keeper);
  } finally {
    await keeper.close();
  }
}

/** The keys in the database itself: a running server sees a new key at once, a revoked one within seconds. */
async function localKeeper(flags: KeysFlags): Promise<KeyKeeper> {
  const config = loadConfig({ dataDir: flags.dataDir, databaseUrl: flags.databaseUrl });
  const opened = await openStore(config, { now: systemClock.now });
  try {
    const projects = new ProjectService({ store: opened.store, clock: systemClock, log: createLogger("warn") });
    const projectId = flags.project ?? (await projects.getDefault()).id;
    const page = parsePageRequest(1000, undefined);
    return {
      projectId,
      create: () => projects.createApiKey(projectId),
      list: async () =>
        (await projects.listApiKeys(projectId, page)).items.map((k) => ({
          id: k.id,
          project_id: k.projectId,
          create_time: toRfc3339(k.createdAt),
          ...(k.lastUsedAt !== undefined ? { last_use_time: toRfc3339(k.lastUsedAt) } : {}),
          configured: k.configured,
        })),
      revoke: (keyId) => projects.revokeApiKey(projectId, keyId),
      close: () => opened.store.close(),
    };
  } catch (err) {
    await opened.store.close();
    throw err;
  }
}

function remoteKeeper(flags: KeysFlags): KeyKeeper {
  const adminKey = flags.adminKey || process.env.TIDINGS_ADMIN_KEY || undefined;
  if (adminKey === undefined) {
    throw new Error(
      "--admin-key (or TIDINGS_ADMIN_KEY) is required; on the server's host, --data-dir DIR works without it",
    );
  }
  if (flags.project === undefined)
    throw new Error(
      "--project is required with the admin API; on the server's host, --data-dir DIR acts on the default project",
    );
  const projectId = flags.project;
  const client = new TidingsClient({ baseUrl: flags.server.replace(/\/+$/, ""), apiKey: adminKey });
  return {
    projectId,
    create: async () => {
      const created = await client.projects.createApiKey(projectId);
      return { id: created.id, key: created.key, projectId: created.project_id };
    },
    list: async () => (await client.projects.listApiKeys(projectId, { page_size: 1000 })).api_keys,
    revoke: (keyId) => client.projects.revokeApiKey(projectId, keyId),
    close: async () => {},
  };
}
