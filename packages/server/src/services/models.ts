import type { Page, PageRequest } from "../core/pages.js";
import { toPage } from "../core/pages.js";
import type { GenerateContentResponse, Provider } from "../providers/provider.js";
import { parseGenerateContentRequest } from "../providers/request.js";
import { generateWithRetry } from "../providers/retry.js";

/** Names `GET /v1/models` lists; any other name works just as well, since providers serve whatever they get. */
const LISTED_MODELS = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"];

/** The models surface (docs/wire.md: models): synchronous generation through the configured provider. */
export class ModelService {
  constructor(private readonly provider: Provider) {}

  /** Which provider serves every model name: shown on the Model resource. */
  get providerName(): string {
    return this.provider.name;
  }

  list(request: PageRequest): Page<string> {
    return toPage(LISTED_MODELS.slice(request.offset, request.offset + request.pageSize + 1), request);
  }

  /**
   * A reply now, retrying the provider's 429 and 5xx. The schema checked names and types; this checks what
   * needs code (one kind per Part, value ranges). Rejects with ProviderError when the provider gives up.
   */
  generate(model: string, body: unknown, signal: AbortSignal): Promise<GenerateContentResponse> {
    return generateWithRetry(this.provider, model, parseGenerateContentRequest(body), { signal });
  }
}
