import { resolve } from "node:path";
import type { Command } from "commander";
import { backupDataDir } from "../store/backup.js";

interface BackupFlags {
  dataDir?: string;
  out: string;
}

/**
 * `tidings backup --data-dir D --out FILE`: an online, consistent copy of the SQLite database while the server
 * runs. The master key is not in it, on purpose: keep master.key apart from the backups it unlocks.
 */
export function registerBackup(program: Command): void {
  program
    .command("backup")
    .description(
      "copy the SQLite database while the server runs (consistent, online); restore = this file + master.key",
    )
    .option("--data-dir <dir>", "the server's data dir (TIDINGS_DATA_DIR)")
    .requiredOption("--out <file>", "where to write the copy (a new file, mode 0600)")
    .action(async (flags: BackupFlags) => {
      if (process.env.TIDINGS_DATABASE_URL) {
        throw new Error(
          "TIDINGS_DATABASE_URL is set: back PostgreSQL up with pg_dump (see the README's Backup and restore), and keep TIDINGS_MASTER_KEY with it",
        );
      }
      const dataDir = resolve(flags.dataDir ?? process.env.TIDINGS_DATA_DIR ?? ".tidings");
      const out = resolve(flags.out);
      const { bytes } = await backupDataDir(dataDir, out);
      process.stdout.write(
        `${[
          `Backed up ${dataDir}/tidings.db to ${out} (${(bytes / 1024 / 1024).toFixed(1)} MiB, mode 0600).`,
          `To restore: stop the server, copy ${out} to DATA_DIR/tidings.db, and put this server's master.key`,
          `(${dataDir}/master.key, or its TIDINGS_MASTER_KEY) beside it: the backup's secrets open only with that key.`,
          `Uploaded files (the Files API) are in ${dataDir}/files/; copy that directory too if you use them.`,
        ].join("\n")}\n`,
      );
    });
}
