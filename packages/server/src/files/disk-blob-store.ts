import { closeSync, createReadStream, fstatSync, openSync } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { BlobNotFoundError, type BlobData, type BlobStore } from "./blob-store.js";

const KEY = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/;
/** Pending blobs sit next to the published ones under this suffix, which no key can end in. */
const PENDING = ".part";

/**
 * Blobs as files under `<dataDir>/files/`. Pending blobs are `<key>.part`; commit fsyncs and renames
 * them, which is atomic within one filesystem. With several processes (PostgreSQL), every process must
 * see the same directory (a shared volume); see BlobStore.
 */
export class DiskBlobStore implements BlobStore {
  private readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, "files");
  }

  async write(key: string, data: BlobData, append = false): Promise<number> {
    const path = this.path(key) + PENDING;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await open(path, append ? "a" : "w", 0o600);
    const before = append ? (await handle.stat()).size : 0;
    let size = before;
    try {
      if (Buffer.isBuffer(data)) {
        await handle.writeFile(data);
        size += data.length;
      } else {
        for await (const chunk of data) {
          await handle.writeFile(chunk);
          size += chunk.length;
        }
      }
      return size;
    } catch (err) {
      // Leave the pending blob as it was, so the chunk can be retried at the same offset.
      await handle.truncate(before).catch(() => {});
      throw err;
    } finally {
      await handle.close();
    }
  }

  async commit(pendingKey: string, key: string): Promise<void> {
    const from = this.path(pendingKey) + PENDING;
    const to = this.path(key);
    // Flush the bytes before the rename publishes them: after a power cut, a visible file is a whole one.
    const handle = await open(from, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await mkdir(dirname(to), { recursive: true, mode: 0o700 });
    await rename(from, to);
  }

  read(key: string): Readable {
    let fd: number;
    try {
      // Opened synchronously so that a missing blob throws here, before any response header is sent.
      fd = openSync(this.path(key), "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new BlobNotFoundError(key);
      throw err;
    }
    try {
      // A known end lets the stream finish right after its last bytes, without one more read to find EOF,
      // so the response is complete the moment the client has every byte. Read on from the descriptor's own
      // position (the start: it was just opened) rather than from offsets, so that a pipe reads too.
      const { size } = fstatSync(fd);
      return createReadStream("", { fd, autoClose: true, ...(size > 0 ? { end: size - 1 } : {}) });
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    await Promise.all([rm(path, { force: true }), rm(path + PENDING, { force: true })]);
  }

  async deletePendingOlderThan(ageMs: number): Promise<number> {
    // Compared with the files' mtimes, which the file system stamps in wall-clock time, not the injected Clock's.
    const cutoff = Date.now() - ageMs;
    let entries: string[];
    try {
      entries = await readdir(this.root, { recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw err;
    }
    let removed = 0;
    for (const entry of entries) {
      if (!entry.endsWith(PENDING)) continue;
      const path = join(this.root, entry);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || info.mtimeMs >= cutoff) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  private path(key: string): string {
    // The key pattern keeps every path inside the root: no `..`, no absolute paths, no dots at all.
    if (!KEY.test(key)) throw new Error(`invalid blob key "${key}"`);
    return join(this.root, ...key.split("/"));
  }
}
