/**
 * The video-generation capability (docs/wire.md: video generation): start a generation, then wait for its bytes. The
 * two halves
 * let a runner store the job's handle between them, so a restart resumes the wait instead of paying for a
 * second generation.
 */

/** Veo's `parameters` as @google/genai 2.32 sends them (docs/wire/video.md); `veo` forwards them as given. */
export interface VideoParameters {
  sampleCount?: number;
  durationSeconds?: number;
  aspectRatio?: string;
  resolution?: string;
  negativePrompt?: string;
  personGeneration?: string;
  enhancePrompt?: boolean;
}

export interface VideoRequest {
  model: string;
  prompt: string;
  parameters?: VideoParameters;
}

export interface VideoJob {
  /** What `finish` needs: JSON-safe text to store with the operation (the Veo operation's name, …). */
  handle: string;
}

export interface GeneratedVideo {
  bytes: Uint8Array;
  /** `video/mp4` from both providers. */
  mimeType: string;
}

export interface VideoProvider {
  /** `local` or `veo`, as in errors. */
  readonly name: string;
  /** Begins a generation. Rejects only with ProviderError. */
  start(request: VideoRequest, signal?: AbortSignal): Promise<VideoJob>;
  /**
   * Waits for the job and returns the video. Rejects only with ProviderError: CANCELLED as soon as `signal`
   * aborts (between polls or frames, and mid-request), INVALID_ARGUMENT when the prompt was refused.
   */
  finish(job: VideoJob, signal?: AbortSignal): Promise<GeneratedVideo>;
  close?(): Promise<void>;
}
