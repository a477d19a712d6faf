import { write } from "node:fs";
import type { DestinationStream } from "pino";

export interface LogOutputLimits {
  /** Lines held while the output cannot keep up; a line past this is dropped (and counted) rather than held. */
  maxBufferedBytes: number;
  /** The most one write hands the kernel. */
  maxWriteBytes: number;
  /**
   * After a failed write (a full disk), how long before the next try; lines that come meanwhile wait or are dropped.
   */
  retryAfterMs: number;
}

const DEFAULT_LIMITS: LogOutputLimits = {
  maxBufferedBytes: 4 * 1024 * 1024,
  maxWriteBytes: 256 * 1024,
  retryAfterMs: 1000,
};

/**
 * Where the process's log lines go (pino's destination): a file descriptor (stdout), written off the event
 * loop, one write in flight. The server must keep answering when its log cannot be written (a full disk, a
 * pipe nobody reads): pino's own destination writes synchronously and waits on EAGAIN, which stalls the whole
 * process. Here nothing ever waits on the log: a line that cannot be held is dropped, a write that fails drops
 * its lines, and both are counted (`tidings_log_writes_dropped_total`).
 */
export class LogOutput implements DestinationStream {
  /** Lines dropped since start: the output was full or failed. */
  dropped = 0;
  private queue: string[] = [];
  private queuedBytes = 0;
  private writing = false;
  private pause: NodeJS.Timeout | undefined;
  private drained: (() => void)[] = [];

  constructor(
    private readonly fd: number,
    private readonly limits: LogOutputLimits = DEFAULT_LIMITS,
  ) {}

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.queuedBytes + bytes > this.limits.maxBufferedBytes) {
      this.dropped++;
      return;
    }
    this.queue.push(line);
    this.queuedBytes += bytes;
    this.next();
  }

  /**
   * Resolves once every held line is written (or dropped), or after `timeoutMs`: a shutdown waits this long at most.
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.drained.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private get idle(): boolean {
    return !this.writing && this.queue.length === 0;
  }

  private next(): void {
    if (this.writing || this.pause !== undefined) return;
    if (this.queue.length === 0) {
      for (const resolve of this.drained.splice(0)) resolve();
      return;
    }
    const lines: string[] = [];
    let bytes = 0;
    while (
      this.queue.length > 0 &&
      (lines.length === 0 || bytes + Buffer.byteLength(this.queue[0] as string) <= this.limits.maxWriteBytes)
    ) {
      const line = this.queue.shift() as string;
      bytes += Buffer.byteLength(line);
      lines.push(line);
    }
    this.queuedBytes -= bytes;
    this.writing = true;
    this.writeOut(Buffer.from(lines.join("")), 0, lines.length);
  }

  private writeOut(buffer: Buffer, offset: number, lineCount: number): void {
    write(this.fd, buffer, offset, buffer.length - offset, null, (err, written) => {
      if (err !== null) {
        // EAGAIN: a non-blocking pipe is full; the same bytes go again after the pause. Anything else (ENOSPC,
        // EPIPE, EIO) loses them: dropped and counted, and the next lines are tried after the pause.
        if (err.code === "EAGAIN") return this.pauseThen(() => this.writeOut(buffer, offset, lineCount));
        this.dropped += lineCount;
        this.writing = false;
        return this.pauseThen(() => this.next());
      }
      if (offset + written < buffer.length) return this.writeOut(buffer, offset + written, lineCount);
      this.writing = false;
      this.next();
    });
  }

  private pauseThen(resume: () => void): void {
    this.pause = setTimeout(() => {
      this.pause = undefined;
      resume();
    }, this.limits.retryAfterMs);
    this.pause.unref();
  }
}
