import type { Command } from "commander";
import { loadConfig, type ConfigFlags } from "../config.js";
import { toRfc3339 } from "../core/clock.js";
import { systemClock } from "../runtime/system-clock.js";
import { openStore } from "../store/open.js";

/** `tidings migrate [--status]`: brings the database's schema up to date, or shows where it stands. */
export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("apply pending schema migrations (tidings serve also does this at start), or show them with --status")
    .option("--status", "list every migration and whether it is applied; change nothing")
    .option("--data-dir <dir>", "where the SQLite database lives (TIDINGS_DATA_DIR)")
    .option("--database-url <url>", "PostgreSQL URL instead of SQLite (TIDINGS_DATABASE_URL)")
    .action(async (flags: ConfigFlags & { status?: boolean }) => {
      const config = loadConfig(flags);
      const before = flags.status ? undefined : await statusOf(config, false);
      const opened = await openStore(config, { migrate: !flags.status, now: systemClock.now });
      try {
        const status = await opened.migrationStatus();
        for (const m of status) {
          const applied = m.appliedAt === undefined ? "pending" : `applied ${toRfc3339(m.appliedAt)}`;
          const now =
            before !== undefined &&
            m.appliedAt !== undefined &&
            before.find((b) => b.version === m.version)?.appliedAt === undefined
              ? "  (now)"
              : "";
          process.stdout.write(`${String(m.version).padStart(4, "0")}  ${m.name.padEnd(24)}  ${applied}${now}\n`);
        }
        const pending = status.filter((m) => m.appliedAt === undefined).length;
        process.stdout.write(flags.status ? `${pending} pending\n` : "the schema is up to date\n");
      } finally {
        await opened.store.close();
      }
    });
}

async function statusOf(config: Parameters<typeof openStore>[0], migrate: boolean) {
  const opened = await openStore(config, { migrate, now: systemClock.now });
  try {
    return await opened.migrationStatus();
  } finally {
    await opened.store.close();
  }
}
