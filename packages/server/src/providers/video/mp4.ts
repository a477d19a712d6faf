import type encoderModuleType from "h264-mp4-encoder";
import { cancelled } from "../failures.js";
import { ConcurrencyLimiter } from "../limiter.js";
import { FRAME_RATE, type ClipShape } from "./frames.js";

let encoderModule: Promise<typeof encoderModuleType> | undefined;

/**
 * Loaded on first use, so a process that renders no video never loads x264. Its Emscripten runtime adds
 * process-wide uncaughtException and unhandledRejection handlers as it loads, which turn any stray error
 * anywhere in the server into a crash that prints the encoder's minified source: they are taken off again.
 */
function loadEncoder(): Promise<typeof encoderModuleType> {
  encoderModule ??= (async () => {
    const uncaught = new Set(process.listeners("uncaughtException"));
    const unhandled = new Set(process.listeners("unhandledRejection"));
    const loaded = (await import("h264-mp4-encoder")).default;
    for (const listener of process.listeners("uncaughtException"))
      if (!uncaught.has(listener)) process.off("uncaughtException", listener);
    for (const listener of process.listeners("unhandledRejection"))
      if (!unhandled.has(listener)) process.off("unhandledRejection", listener);
    return loaded;
  })();
  return encoderModule;
}

/** The encoder's WebAssembly heap and file system are one per process: encode one clip at a time. */
const oneAtATime = new ConcurrencyLimiter(1);
let clips = 0;

/**
 * H.264 (baseline) in MP4, encoded by x264 compiled to WebAssembly (h264-mp4-encoder): a real, playable
 * clip with no system dependency. Yields to the event loop between frames so a server stays responsive,
 * and stops there when `signal` aborts.
 */
export function encodeMp4(
  frames: Iterable<Uint8Array>,
  shape: ClipShape,
  provider: string,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  return oneAtATime.run(async () => {
    const encoder = await (await loadEncoder()).createH264MP4Encoder();
    const name = `tidings-clip-${++clips}.mp4`;
    const file = `/${name}`;
    let finalized = false;
    try {
      encoder.width = shape.width;
      encoder.height = shape.height;
      encoder.frameRate = FRAME_RATE;
      encoder.outputFilename = file;
      encoder.initialize();
      for (const rgba of frames) {
        if (signal?.aborted) throw cancelled(provider);
        encoder.addFrameRgba(rgba);
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (signal?.aborted) throw cancelled(provider);
      encoder.finalize();
      finalized = true;
      return withoutTimestamps(encoder.FS.readFile(file));
    } finally {
      // The encoder refuses to be deleted unfinished, and writes as it goes: close the file, then remove it.
      if (!finalized) encoder.finalize();
      if ((encoder.FS.readdir("/") as string[]).includes(name)) encoder.FS.unlink(file);
      encoder.delete();
    }
  });
}

/** Boxes that hold creation and modification times, and the containers on the way to them. */
const TIMED = new Set(["mvhd", "tkhd", "mdhd"]);
const CONTAINERS = new Set(["moov", "trak", "mdia"]);

/**
 * Zeroes the wall-clock creation and modification times the muxer stamps into the movie, track and media
 * headers, so the same prompt gives the same bytes (and the same file hash) at any time.
 */
export function withoutTimestamps(mp4: Uint8Array, from = 0, to = mp4.length): Uint8Array {
  const view = new DataView(mp4.buffer, mp4.byteOffset, mp4.byteLength);
  for (let at = from; at + 8 <= to; ) {
    const size = view.getUint32(at);
    if (size < 8 || at + size > to) break; // 64-bit or open-ended boxes: none of ours, stop rather than guess
    const type = String.fromCharCode(...mp4.subarray(at + 4, at + 8));
    if (CONTAINERS.has(type)) withoutTimestamps(mp4, at + 8, at + size);
    if (TIMED.has(type)) {
      const wide = mp4[at + 8] === 1; // version 1: 64-bit times
      mp4.fill(0, at + 12, at + 12 + (wide ? 16 : 8));
    }
    at += size;
  }
  return mp4;
}
