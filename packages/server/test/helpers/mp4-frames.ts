import { H264Decoder } from "h264decoder";
import { createFile, type MP4BoxBuffer, type Sample } from "mp4box";

export interface DecodedClip {
  codec: string;
  width: number;
  height: number;
  /** The movie header's creation time, as the container states it. */
  created: Date;
  /** A fingerprint per decoded picture: the sum of its luma plane. */
  frames: number[];
}

/**
 * Demuxes an MP4 with mp4box and decodes every H.264 picture with h264decoder (both from npm, neither ours),
 * so a test can say "a real decoder read N distinct frames".
 */
export async function decodeMp4(bytes: Uint8Array): Promise<DecodedClip> {
  const file = createFile();
  const demuxed = new Promise<{ codec: string; created: Date; samples: Sample[]; parameterSets: Uint8Array[] }>(
    (resolve, reject) => {
      file.onError = (_module: string, message: string) => reject(new Error(message));
      file.onReady = (info) => {
        const track = info.videoTracks[0];
        if (track === undefined) return reject(new Error("no video track"));
        const entry = file.getTrackById(track.id).mdia.minf.stbl.stsd.entries[0] as unknown as {
          avcC?: { SPS: { data: Uint8Array }[]; PPS: { data: Uint8Array }[] };
        };
        const parameterSets = [...(entry.avcC?.SPS ?? []), ...(entry.avcC?.PPS ?? [])].map((p) => p.data);
        file.onSamples = (_id, _user, samples) =>
          resolve({ codec: track.codec, created: info.created, samples, parameterSets });
        file.setExtractionOptions(track.id, null, { nbSamples: 100_000 });
        file.start();
      };
    },
  );
  // A copy of exactly these bytes: a Buffer's own slice() is a view, and a small file's Buffer sits in a shared pool.
  const buffer = Uint8Array.prototype.slice.call(bytes).buffer as MP4BoxBuffer;
  buffer.fileStart = 0;
  file.appendBuffer(buffer);
  file.flush();
  const { codec, created, samples, parameterSets } = await demuxed;
  const decoder = new H264Decoder();
  for (const nal of parameterSets) decoder.decode(nal);
  const frames: number[] = [];
  for (const sample of samples) {
    const data = sample.data as Uint8Array;
    // Samples hold 4-byte-length-prefixed NAL units (avcC); the decoder takes them one by one.
    for (let at = 0; at + 4 <= data.length; ) {
      const length =
        ((data[at] as number) << 24) |
        ((data[at + 1] as number) << 16) |
        ((data[at + 2] as number) << 8) |
        (data[at + 3] as number);
      at += 4;
      if (decoder.decode(data.subarray(at, at + length)) === H264Decoder.PIC_RDY) {
        frames.push(decoder.pic.subarray(0, decoder.width * decoder.height).reduce((sum, v) => sum + v, 0));
      }
      at += length;
    }
  }
  return { codec, created, width: decoder.width, height: decoder.height, frames };
}
