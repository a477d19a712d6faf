/**
 * Gemini's models surface (docs/wire.md: models): `models/{model}:generateContent`, camelCase. Fields that Tidings'
 * providers do not act on are still declared, because @google/genai sends them; values that only an
 * upstream Gemini reads are passed through unchecked (`Type.Unknown`).
 */
import { Type, type Static } from "@sinclair/typebox";
import { FreeForm, GeminiPageQuery, Message, OpenMessage } from "./common.js";

const passThrough = (description: string) =>
  Type.Unknown({ description: `${description}; passed on to an upstream Gemini, unchecked` });

export const Part = Message(
  {
    text: Type.Optional(Type.String()),
    inlineData: Type.Optional(
      Message({
        mimeType: Type.Optional(Type.String()),
        data: Type.Optional(Type.String({ description: "base64" })),
        displayName: Type.Optional(Type.String()),
      }),
    ),
    fileData: Type.Optional(
      Message({
        fileUri: Type.Optional(Type.String()),
        mimeType: Type.Optional(Type.String()),
        displayName: Type.Optional(Type.String()),
      }),
    ),
    functionCall: Type.Optional(
      Message({
        id: Type.Optional(Type.String()),
        name: Type.Optional(Type.String()),
        args: Type.Optional(FreeForm("the call's arguments")),
      }),
    ),
    functionResponse: Type.Optional(
      Message({
        id: Type.Optional(Type.String()),
        name: Type.Optional(Type.String()),
        response: Type.Optional(FreeForm("the function's result")),
        willContinue: Type.Optional(Type.Boolean()),
        scheduling: Type.Optional(Type.String()),
        parts: Type.Optional(Type.Array(FreeForm("FunctionResponsePart"))),
      }),
    ),
    thought: Type.Optional(Type.Boolean()),
    thoughtSignature: Type.Optional(Type.String({ description: "base64" })),
    executableCode: Type.Optional(passThrough("ExecutableCode")),
    codeExecutionResult: Type.Optional(passThrough("CodeExecutionResult")),
    videoMetadata: Type.Optional(passThrough("VideoMetadata")),
    mediaResolution: Type.Optional(passThrough("PartMediaResolution")),
    partMetadata: Type.Optional(passThrough("part metadata")),
    audioTranscription: Type.Optional(passThrough("AudioTranscription")),
    mediaProcessing: Type.Optional(passThrough("MediaProcessing")),
    speechMetadata: Type.Optional(passThrough("SpeechMetadata")),
    toolCall: Type.Optional(passThrough("ToolCall")),
    toolResponse: Type.Optional(passThrough("ToolResponse")),
  },
  { title: "Part" },
);

export const Content = Message(
  {
    role: Type.Optional(Type.String({ description: "user or model" })),
    parts: Type.Optional(Type.Array(Part, { description: "at least one" })),
  },
  { title: "Content" },
);

export const FunctionDeclaration = Message(
  {
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(FreeForm("the parameters' Schema (OpenAPI subset), kept as given")),
    parametersJsonSchema: Type.Optional(FreeForm("the parameters as JSON Schema, kept as given")),
    response: Type.Optional(FreeForm("the result's Schema, kept as given")),
    responseJsonSchema: Type.Optional(FreeForm("the result as JSON Schema, kept as given")),
    behavior: Type.Optional(Type.String()),
  },
  { title: "FunctionDeclaration" },
);

export const Tool = Message(
  {
    functionDeclarations: Type.Optional(Type.Array(FunctionDeclaration)),
    codeExecution: Type.Optional(passThrough("CodeExecution")),
    computerUse: Type.Optional(passThrough("ComputerUse")),
    fileSearch: Type.Optional(passThrough("FileSearch")),
    googleMaps: Type.Optional(passThrough("GoogleMaps")),
    googleSearch: Type.Optional(passThrough("GoogleSearch")),
    googleSearchRetrieval: Type.Optional(passThrough("GoogleSearchRetrieval")),
    mcpServers: Type.Optional(passThrough("McpServer list")),
    urlContext: Type.Optional(passThrough("UrlContext")),
  },
  { title: "Tool" },
);

export const ToolConfig = Message({
  functionCallingConfig: Type.Optional(
    Message({
      mode: Type.Optional(Type.String({ description: "AUTO, ANY, NONE or VALIDATED" })),
      allowedFunctionNames: Type.Optional(Type.Array(Type.String())),
    }),
  ),
  retrievalConfig: Type.Optional(passThrough("RetrievalConfig")),
  includeServerSideToolInvocations: Type.Optional(Type.Boolean()),
});

export const SafetySetting = Message(
  {
    category: Type.Optional(Type.String()),
    threshold: Type.Optional(Type.String()),
    method: Type.Optional(Type.String()),
  },
  { title: "SafetySetting" },
);

export const GenerationConfig = Message({
  temperature: Type.Optional(Type.Number()),
  topP: Type.Optional(Type.Number()),
  topK: Type.Optional(Type.Number()),
  candidateCount: Type.Optional(Type.Number()),
  maxOutputTokens: Type.Optional(Type.Number()),
  stopSequences: Type.Optional(Type.Array(Type.String())),
  presencePenalty: Type.Optional(Type.Number()),
  frequencyPenalty: Type.Optional(Type.Number()),
  seed: Type.Optional(Type.Number()),
  responseMimeType: Type.Optional(Type.String()),
  responseSchema: Type.Optional(FreeForm("the reply's Schema (OpenAPI subset), kept as given")),
  responseJsonSchema: Type.Optional(FreeForm("the reply as JSON Schema, kept as given")),
  responseModalities: Type.Optional(Type.Array(Type.String())),
  responseLogprobs: Type.Optional(Type.Boolean()),
  logprobs: Type.Optional(Type.Number()),
  thinkingConfig: Type.Optional(
    Message({
      thinkingBudget: Type.Optional(Type.Number()),
      includeThoughts: Type.Optional(Type.Boolean()),
      thinkingLevel: Type.Optional(Type.String()),
    }),
  ),
  mediaResolution: Type.Optional(Type.String()),
  audioTimestamp: Type.Optional(Type.Boolean()),
  enableEnhancedCivicAnswers: Type.Optional(Type.Boolean()),
  speechConfig: Type.Optional(passThrough("SpeechConfig")),
  imageConfig: Type.Optional(passThrough("ImageConfig")),
  modelConfig: Type.Optional(passThrough("ModelConfig")),
  audioTranscriptionConfig: Type.Optional(passThrough("AudioTranscriptionConfig")),
  routingConfig: Type.Optional(passThrough("RoutingConfig")),
});

/** The body of `models/{model}:generateContent`. */
export const GenerateContentRequest = Message(
  {
    model: Type.Optional(Type.String({ description: "ignored: the path names the model" })),
    contents: Type.Array(Content, { description: "at least one Content" }),
    systemInstruction: Type.Optional(Content),
    tools: Type.Optional(Type.Array(Tool)),
    toolConfig: Type.Optional(ToolConfig),
    safetySettings: Type.Optional(Type.Array(SafetySetting)),
    generationConfig: Type.Optional(GenerationConfig),
    cachedContent: Type.Optional(Type.String({ description: "accepted; no provider here acts on it" })),
    labels: Type.Optional(FreeForm("accepted; no provider here acts on it")),
    serviceTier: Type.Optional(Type.String({ description: "accepted; no provider here acts on it" })),
    store: Type.Optional(Type.Boolean({ description: "accepted; no provider here acts on it" })),
    continuationToken: Type.Optional(Type.String({ description: "accepted; no provider here acts on it" })),
    modelArmorConfig: Type.Optional(passThrough("ModelArmorConfig")),
    outputConfig: Type.Optional(passThrough("OutputConfig")),
  },
  { examples: [{ contents: [{ role: "user", parts: [{ text: "hello" }] }] }] },
);
export type GenerateContentRequest = Static<typeof GenerateContentRequest>;

/** The reply, as the provider (or an upstream Gemini) gave it: declared fields plus any newer ones. */
export const GenerateContentResponse = OpenMessage({
  candidates: Type.Optional(
    Type.Array(
      OpenMessage({
        content: Type.Optional(FreeForm<object>("Content: {role, parts}")),
        finishReason: Type.Optional(Type.String()),
        index: Type.Optional(Type.Integer()),
      }),
    ),
  ),
  promptFeedback: Type.Optional(FreeForm<object>("PromptFeedback")),
  usageMetadata: Type.Optional(
    OpenMessage({
      promptTokenCount: Type.Optional(Type.Integer()),
      candidatesTokenCount: Type.Optional(Type.Integer()),
      totalTokenCount: Type.Optional(Type.Integer()),
      thoughtsTokenCount: Type.Optional(Type.Integer()),
    }),
  ),
  modelVersion: Type.Optional(Type.String()),
  responseId: Type.Optional(Type.String()),
});
export type GenerateContentResponse = Static<typeof GenerateContentResponse>;

export const Model = Message({
  name: Type.String({ description: "models/{id}" }),
  baseModelId: Type.String(),
  version: Type.String(),
  displayName: Type.String(),
  description: Type.String(),
  inputTokenLimit: Type.Integer(),
  outputTokenLimit: Type.Integer(),
  supportedGenerationMethods: Type.Array(Type.String()),
});
export type Model = Static<typeof Model>;

export const ListModelsQuery = Message({ ...GeminiPageQuery });
export type ListModelsQuery = Static<typeof ListModelsQuery>;

export const ListModelsResponse = Message({
  models: Type.Array(Model),
  nextPageToken: Type.Optional(Type.String()),
});
export type ListModelsResponse = Static<typeof ListModelsResponse>;

/** `{id}` in `models/{id}`: model names hold dots and dashes (`gemini-2.5-flash`). */
export const ModelParams = Message({ id: Type.String({ minLength: 1, maxLength: 256 }) });
export type ModelParams = Static<typeof ModelParams>;
