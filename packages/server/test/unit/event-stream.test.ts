import { Writable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { StoredEvent } from "../../src/core/events.js";
import type { LimitName } from "../../src/core/limits.js";
import { eventId, newEventTag } from "../../src/core/ids.js";
import { eventStreamer } from "../../src/web/event-stream.js";
import { EventBus } from "../../src/services/event-bus.js";

const MiB = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

/**
 * An HTTP response over a socket whose reader takes `capacity` bytes and then stops reading: what it does not
 * take stays in the response's buffer (writableLength), as with a real socket whose peer stopped reading.
 */
class StalledResponse extends Writable {
  /** Everything the stream wrote, in order, whether the reader took it or it waits in the buffer. */
  readonly chunks: string[] = [];
  /** The connection under it: ending or cutting it ends the response. */
  readonly socket = { setKeepAlive: () => {}, end: () => this.destroy(), destroy: () => this.destroy() };
  private taken = 0;
  private readonly held: (() => void)[] = [];

  constructor(private capacity: number) {
    super({ decodeStrings: false });
    const write = this.write.bind(this);
    const end = this.end.bind(this);
    Object.assign(this, {
      write: (chunk: string, done?: () => void) => {
        this.chunks.push(chunk);
        return write(chunk, done);
      },
      end: (chunk?: string, done?: () => void) => {
        if (chunk !== undefined) this.chunks.push(chunk);
        return end(chunk, done);
      },
    });
  }

  writeHead(): this {
    return this;
  }

  override _write(chunk: string, _encoding: BufferEncoding, done: () => void): void {
    const size = Buffer.byteLength(chunk);
    if (this.taken + size <= this.capacity) {
      this.taken += size;
      done();
    } else {
      this.held.push(done);
    }
  }

  /** The reader reads again: `bytes` more room, and what waited for it goes. */
  read(bytes: number): void {
    this.capacity += bytes;
    for (const done of this.held.splice(0)) done();
  }

  get text(): string {
    return this.chunks.join("");
  }
}

const fakeApp = { addHook: () => {} } as unknown as FastifyInstance;
const replyOn = (res: StalledResponse) => ({ hijack: () => {}, raw: res }) as unknown as FastifyReply;
let eventKey = 0;
const event = (projectId: string, bytes: number): StoredEvent => ({
  id: eventId(++eventKey, newEventTag()),
  projectId,
  type: "export.succeeded",
  operation: "operations/x",
  payload: {
    type: "export.succeeded",
    version: "v1",
    timestamp: "2026-05-04T12:00:00.000Z",
    data: { id: "operations/x", user_metadata: { blob: "x".repeat(bytes) } },
  },
  createdAt: 0,
});
const tick = () => new Promise((resolve) => process.nextTick(resolve));

describe("an event stream whose reader falls behind", () => {
  let limits: LimitName[];
  let bus: EventBus;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "setTimeout", "clearTimeout"] });
    limits = [];
    bus = new EventBus({ maxPerProject: 2, maxTotal: 10, bufferBytes: MiB, heartbeatMs: HEARTBEAT_MS }, (limit) =>
      limits.push(limit),
    );
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("never holds more than about 1 MiB for it: past that the stream is dropped with a last comment saying why", async () => {
    const res = new StalledResponse(0);
    eventStreamer(fakeApp, bus)("p", replyOn(res), { named: true });
    let most = 0;
    for (let i = 0; i < 40; i++) {
      bus.publish(event("p", 100_000));
      most = Math.max(most, res.writableLength);
    }
    // The allowance, plus the last comment.
    expect(most).toBeLessThanOrEqual(MiB + 200);
    expect(res.chunks.filter((c) => c.startsWith("id: "))).toHaveLength(10);
    expect(res.writableEnded).toBe(true);
    expect(res.chunks.at(-1)).toBe(
      `: dropped: this reader fell more than ${MiB} bytes behind the events; reconnect, and read what was missed with GET /v1/events\n\n`,
    );
    expect(limits).toEqual(["stream_buffer"]);

    // A reader that never reads is cut off, and its place is free.
    vi.advanceTimersByTime(5_000);
    await tick();
    expect(res.destroyed).toBe(true);
    const again = new StalledResponse(Number.POSITIVE_INFINITY);
    eventStreamer(fakeApp, bus)("p", replyOn(again), { named: true });
    eventStreamer(fakeApp, bus)("p", replyOn(new StalledResponse(Number.POSITIVE_INFINITY)), { named: true });
  });

  it("still sends one event larger than the allowance to a reader that has caught up", () => {
    const res = new StalledResponse(Number.POSITIVE_INFINITY);
    eventStreamer(fakeApp, bus)("p", replyOn(res), { named: false });
    bus.publish(event("p", 2 * MiB));
    bus.publish(event("p", 10));
    expect(res.chunks.filter((c) => c.startsWith("id: "))).toHaveLength(2);
    expect(res.writableEnded).toBe(false);
  });

  it("drops a reader that has taken nothing for two heartbeats while bytes wait, and keeps one that reads slowly", async () => {
    const stopped = new StalledResponse(64 * 1024);
    const slow = new StalledResponse(64 * 1024);
    const streamer = eventStreamer(fakeApp, bus);
    streamer("p", replyOn(stopped), { named: true });
    streamer("p", replyOn(slow), { named: true });
    bus.publish(event("p", 100_000));
    await tick();
    for (let beat = 1; beat <= 4; beat++) {
      slow.read(20_000);
      await tick();
      vi.advanceTimersByTime(HEARTBEAT_MS);
      await tick();
    }
    expect(stopped.writableEnded).toBe(true);
    expect(stopped.chunks.at(-1)).toBe(
      `: dropped: this reader has read nothing for ${(2 * HEARTBEAT_MS) / 1000} s\n\n`,
    );
    expect(slow.writableEnded).toBe(false);
    expect(slow.chunks.filter((c) => c === ": heartbeat\n\n").length).toBeGreaterThanOrEqual(3);
    expect(limits).toEqual(["stream_buffer"]);
  });

  it("sends heartbeats to an idle reader for as long as it stays", async () => {
    const res = new StalledResponse(Number.POSITIVE_INFINITY);
    eventStreamer(fakeApp, bus)("p", replyOn(res), { named: true });
    for (let beat = 0; beat < 10; beat++) {
      vi.advanceTimersByTime(HEARTBEAT_MS);
      await tick();
    }
    expect(res.chunks.filter((c) => c === ": heartbeat\n\n")).toHaveLength(10);
    expect(res.writableEnded).toBe(false);
  });

  it("refuses a stream past the project's cap or the process's, before anything is sent", () => {
    const streamer = eventStreamer(fakeApp, bus);
    streamer("p", replyOn(new StalledResponse(0)), { named: true });
    streamer("p", replyOn(new StalledResponse(0)), { named: true });
    const refused = new StalledResponse(0);
    expect(() => streamer("p", replyOn(refused), { named: true })).toThrow(/TIDINGS_MAX_STREAMS_PER_PROJECT/);
    expect(refused.chunks).toEqual([]);
    for (let i = 0; i < 8; i++) streamer(`q${i}`, replyOn(new StalledResponse(0)), { named: true });
    expect(() => streamer("r", replyOn(new StalledResponse(0)), { named: true })).toThrow(/TIDINGS_MAX_STREAMS\b/);
    expect(limits).toEqual(["streams_per_project", "streams"]);
  });
});
