import { createHash } from "node:crypto";
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphCells } from "./font.js";

/** The local clip: small, short and cheap to encode, yet plainly a moving picture of this prompt. */
export const FRAME_RATE = 12;
const DEFAULT_SECONDS = 3;
const MAX_SECONDS = 8;
/** 16:9 in whole 16-pixel macroblocks, so decoders agree on the size without cropping. */
const LONG_SIDE = 256;
const SHORT_SIDE = 144;
/** Caption pixels per font cell. */
const SCALE = 2;

export interface ClipShape {
  width: number;
  height: number;
  frames: number;
}

/** Veo's aspect ratios (`16:9` by default, `9:16` portrait) and durations, within the local clip's limits. */
export function clipShape(aspectRatio?: string, durationSeconds?: number): ClipShape {
  const seconds = Math.min(Math.max(Math.round(durationSeconds ?? DEFAULT_SECONDS), 1), MAX_SECONDS);
  const portrait = aspectRatio === "9:16";
  return {
    width: portrait ? SHORT_SIDE : LONG_SIDE,
    height: portrait ? LONG_SIDE : SHORT_SIDE,
    frames: seconds * FRAME_RATE,
  };
}

type Rgb = [number, number, number];

/**
 * RGBA frames drawn from the prompt alone: a gradient and a bouncing ball whose colours, size and path come
 * from the prompt's SHA-256, the prompt as a caption, and a bar that fills as the clip plays.
 */
export function* renderFrames(prompt: string, shape: ClipShape): Generator<Uint8Array> {
  const seed = createHash("sha256").update(prompt).digest();
  const byte = (i: number) => seed[i % seed.length] as number;
  const top: Rgb = [byte(0) >> 1, byte(1) >> 1, byte(2) >> 1];
  const bottom: Rgb = [byte(3) >> 1, byte(4) >> 1, byte(5) >> 1];
  const ball: Rgb = [128 + (byte(6) >> 1), 128 + (byte(7) >> 1), 128 + (byte(8) >> 1)];
  const radius = Math.round(Math.min(shape.width, shape.height) * (0.06 + byte(9) / 2550));
  const bounces = 1 + (byte(10) % 3);
  const caption = captionLines(prompt, shape.width);
  const { width, height, frames } = shape;
  for (let f = 0; f < frames; f++) {
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) fillRow(rgba, width, y, mix(top, bottom, y / (height - 1)));
    const t = frames === 1 ? 0 : f / (frames - 1);
    const x = radius + Math.abs(((t * bounces * 2 + byte(11) / 255) % 2) - 1) * (width - 2 * radius);
    const floor = height - radius - 8;
    const y = floor - Math.abs(Math.sin(t * Math.PI * (bounces + 1))) * (floor - radius - captionHeight(caption));
    disc(rgba, width, height, x, y, radius, ball);
    caption.forEach((line, i) => text(rgba, width, line, 4, 4 + i * (GLYPH_HEIGHT + 1) * SCALE));
    bar(rgba, width, height, (f + 1) / frames);
    yield rgba;
  }
}

function captionLines(prompt: string, width: number): string[] {
  const perLine = Math.floor((width - 8) / ((GLYPH_WIDTH + 1) * SCALE));
  const flat = prompt.replace(/\s+/g, " ").trim().toUpperCase();
  const space = flat.length > perLine ? flat.lastIndexOf(" ", perLine) : -1;
  const cut = space > 0 ? space : perLine;
  return [flat.slice(0, cut), flat.slice(cut).trim().slice(0, perLine)].filter((l) => l !== "");
}

function captionHeight(lines: string[]): number {
  return 4 + lines.length * (GLYPH_HEIGHT + 1) * SCALE;
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [0, 1, 2].map((i) => Math.round((a[i] as number) * (1 - t) + (b[i] as number) * t)) as Rgb;
}

function put(rgba: Uint8Array, width: number, x: number, y: number, [r, g, b]: Rgb): void {
  const i = (y * width + x) * 4;
  rgba[i] = r;
  rgba[i + 1] = g;
  rgba[i + 2] = b;
  rgba[i + 3] = 255;
}

function fillRow(rgba: Uint8Array, width: number, y: number, colour: Rgb): void {
  for (let x = 0; x < width; x++) put(rgba, width, x, y, colour);
}

function disc(rgba: Uint8Array, width: number, height: number, cx: number, cy: number, r: number, colour: Rgb): void {
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) put(rgba, width, x, y, colour);
    }
  }
}

function text(rgba: Uint8Array, width: number, line: string, left: number, top: number): void {
  [...line].forEach((char, k) => {
    for (const [cx, cy] of glyphCells(char)) {
      for (let dy = 0; dy < SCALE; dy++) {
        for (let dx = 0; dx < SCALE; dx++)
          put(rgba, width, left + (k * (GLYPH_WIDTH + 1) + cx) * SCALE + dx, top + cy * SCALE + dy, [255, 255, 255]);
      }
    }
  });
}

function bar(rgba: Uint8Array, width: number, height: number, done: number): void {
  for (let y = height - 4; y < height; y++) {
    for (let x = 0; x < Math.round(width * done); x++) put(rgba, width, x, y, [255, 255, 255]);
  }
}
