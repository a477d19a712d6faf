/**
 * Fuzzing every operation of the served OpenAPI document (issue 10): requests generated with fast-check
 * from each operation's schemas, valid or broken (wrong types, missing, unknown and doubly spelled fields,
 * values past their limits, bodies nested past 64 levels or larger than 1 MiB, malformed JSON, bad ids,
 * odd query strings, content types and credentials).
 *
 * What every answer must be:
 * - never a 5xx, and an answer within 10 s;
 * - every 4xx a google.rpc.Status: `{error: {code, message, status}}`, code = the HTTP status, status the
 *   name that code goes with;
 * - every 400 a google.rpc.BadRequest naming at least one field (`details[].fieldViolations[].field`);
 * - a request with something wrong with it (a fault) never a 2xx: nothing is ignored silently;
 * - a request with exactly one fault answered as that fault prescribes. The field a 400 names is then:
 *   the field's path in the body for a schema violation (`webhook_config.uris[0]`, the schema's own
 *   spelling), the unknown name as sent, the parameter for a query violation, `id` for a path id, `body`
 *   for a body that is not a JSON object (malformed, another JSON type, nested too deep, missing while
 *   fields are required, or too large: 413), `content-type` for a body in another media type, and the
 *   header's name for the upload protocol's headers. An enum's error lists the allowed values.
 * Afterwards the server is healthy: /healthz and /readyz answer 200 and valid requests succeed.
 *
 * The run is seeded: TIDINGS_FUZZ_SEED=<seed> repeats one (the seed is printed on failure), and
 * TIDINGS_FUZZ_RUNS sets the number of rounds (default 500 rounds of one to three requests sent at once,
 * about 1,000 requests: 7 s on this 2-core machine);
 * TIDINGS_FUZZ_STATS=1 prints the answers per operation and the single faults checked, by kind.
 */
import fc from "fast-check";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeRequest, requestsFor, soleFault, type FuzzRequest, type Pools } from "../helpers/fuzz-requests.js";
import { preview, type Hints } from "../helpers/fuzz-values.js";
import { operationsOf, type Operation } from "../helpers/openapi.js";
import { ADMIN_KEY, startTidings, type TestServer } from "../helpers/tidings.js";

const SEED =
  process.env.TIDINGS_FUZZ_SEED !== undefined
    ? Number(process.env.TIDINGS_FUZZ_SEED)
    : Math.floor(Math.random() * 2 ** 31);
const ROUNDS = Number(process.env.TIDINGS_FUZZ_RUNS ?? 500);
const ANSWER_WITHIN_MS = 10_000;

/** The google.rpc.Code names each HTTP status of an error may carry (web/rpc-status.ts). */
const STATUS_NAMES: Record<number, string[]> = {
  400: ["INVALID_ARGUMENT"],
  401: ["UNAUTHENTICATED"],
  403: ["PERMISSION_DENIED"],
  404: ["NOT_FOUND"],
  409: ["ALREADY_EXISTS", "FAILED_PRECONDITION"],
  413: ["INVALID_ARGUMENT"],
  429: ["RESOURCE_EXHAUSTED"],
  431: ["INVALID_ARGUMENT"],
};

let server: TestServer;
let operations: Operation[];
let pools: Pools;
let hints: Hints;
const http = new Agent({ headersTimeout: ANSWER_WITHIN_MS, bodyTimeout: ANSWER_WITHIN_MS, connections: 4 });

beforeAll(async () => {
  // The API alone, without the delivery workers: fuzzed webhooks and webhook_configs name any address,
  // and nothing here may send to one.
  server = await startTidings({ env: { TIDINGS_ROLE: "api" } });
  operations = await operationsOf(server.url);
  pools = await seedResources(server);
  hints = hintsFor(pools);
});
afterAll(async () => {
  await http.close();
  await server.close();
});

/** Real resources for ids to point at: some requests must get past the 404s. */
async function seedResources(s: TestServer): Promise<Pools> {
  const ok = async (res: Promise<{ status: number; body: any }>) => {
    const { status, body } = await res;
    if (status !== 200) throw new Error(`seeding failed: ${status} ${JSON.stringify(body)}`);
    return body;
  };
  const webhooks: string[] = [];
  for (let i = 0; i < 4; i++)
    webhooks.push(
      (await ok(s.api("POST", "/v1/webhooks", { uri: `https://hooks.example.com/${i}`, subscribed_events: ["*"] }))).id,
    );
  const operationIds: string[] = [];
  for (let i = 0; i < 6; i++)
    operationIds.push((await ok(s.api("POST", "/v1/operations", { type: "export" }))).name.split("/")[1]);
  await ok(s.api("POST", `/v1/operations/${operationIds[0]}:complete`, { output_file_uri: "files/out.csv" }));
  const events = ((await ok(s.api("GET", "/v1/events"))).events as { id: string }[]).map((e) => e.id);

  const line = JSON.stringify({ key: "k", request: { contents: [{ parts: [{ text: "hi" }] }] } });
  const startUpload = async () => {
    const res = await fetch(`${s.url}/upload/v1/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": s.key,
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": String(line.length),
        "x-goog-upload-header-content-type": "application/jsonl",
      },
    });
    return res.headers.get("x-goog-upload-url")!;
  };
  const uploadFile = async () => {
    const res = await fetch(await startUpload(), {
      method: "POST",
      headers: { "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" },
      body: line,
    });
    return ((await res.json()) as { file: { name: string } }).file.name.split("/")[1]!;
  };
  const files = [await uploadFile(), await uploadFile()];
  const uploads: string[] = [];
  for (let i = 0; i < 3; i++) uploads.push(new URL(await startUpload()).searchParams.get("upload_id")!);

  const batches: string[] = [];
  for (let i = 0; i < 2; i++) {
    batches.push(
      (
        await ok(
          s.api("POST", "/v1/models/gemini-2.5-flash:batchGenerateContent", {
            batch: { inputConfig: { fileName: `files/${files[0]}` } },
          }),
        )
      ).name.split("/")[1],
    );
  }
  const project = await ok(s.api("POST", "/v1/projects", { display_name: "fuzzed" }, ADMIN_KEY));
  const interactions: string[] = [];
  for (const background of [false, true, true])
    interactions.push(
      (await ok(s.api("POST", "/v1/interactions", { model: "gemini-2.5-flash", input: "hello", background }))).id,
    );
  const video = await ok(
    s.api("POST", "/v1/models/veo-3.0-generate-001:predictLongRunning", { instances: [{ prompt: "a paper boat" }] }),
  );
  return {
    ids: {
      webhooks: webhooks.slice(0, 2),
      events,
      files: files.slice(0, 1),
      batches: batches.slice(0, 1),
      projects: [project.id],
      models: ["gemini-2.5-flash", "gemini-2.0-flash-lite", "veo-3.0-generate-001"],
      interactions: interactions.slice(0, 2),
      // GET /v1/models/{model}/operations/{id}: the video operation's own id.
      operations: [...operationIds, video.name.split("/").at(-1)],
    },
    doomed: {
      webhooks: webhooks.slice(2),
      files: files.slice(1),
      batches: batches.slice(1),
      interactions: interactions.slice(2),
    },
    uploads,
    projectKey: s.key,
    adminKey: ADMIN_KEY,
  };
}

/** Values that pass the handlers' own checks more often than random text would (see Hints). */
function hintsFor(p: Pools): Hints {
  const uri = fc.constantFrom(
    "https://hooks.example.com/tidings",
    "http://127.0.0.1:9/hook",
    "https://hooks.example.com/a?b=c#d",
  );
  const uris = fc.array(uri, { minLength: 1, maxLength: 2 });
  const contents = fc.array(
    fc.record({
      role: fc.constantFrom("user", "model"),
      parts: fc.array(fc.record({ text: fc.string({ maxLength: 20 }) }), { minLength: 1, maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 2 },
  );
  return {
    uri,
    subscribed_events: fc.array(fc.constantFrom("*", "batch.succeeded", "export.*", "webhook.ping", "render.failed"), {
      minLength: 1,
      maxLength: 3,
    }),
    type: fc.constantFrom("export", "render", "nightly_report"),
    "webhook_config.uris": uris,
    "batch.webhookConfig.uris": uris,
    batch: fc.record({
      displayName: fc.string({ maxLength: 20 }),
      inputConfig: fc.oneof(
        fc.record({ fileName: fc.constantFrom(...p.ids.files!.map((f) => `files/${f}`), "files/nosuchfile") }),
        fc.record({
          requests: fc.record({
            requests: fc.array(
              fc.record({ request: fc.record({ contents }), metadata: fc.record({ key: fc.string() }) }),
              { minLength: 1, maxLength: 3 },
            ),
          }),
        }),
      ),
    }),
    contents,
    input: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("Use get_weather with city: Quito")),
    model: fc.constantFrom("gemini-2.5-flash", "gemini-2.0-flash-lite"),
    instances: fc.tuple(fc.record({ prompt: fc.string({ minLength: 1, maxLength: 40 }) })),
    systemInstruction: fc.record({
      parts: fc.array(fc.record({ text: fc.string({ maxLength: 20 }) }), { minLength: 1, maxLength: 2 }),
    }),
    generationConfig: fc.record(
      { temperature: fc.double({ min: 0, max: 2, noNaN: true }), maxOutputTokens: fc.integer({ min: 1, max: 1000 }) },
      { requiredKeys: [] },
    ),
    webhook_id: fc.constantFrom(...p.ids.webhooks!),
    output_file_uri: fc.constant("files/out.csv"),
    "file.mimeType": fc.constantFrom("text/plain", "application/jsonl"),
    "?filter": fc.constantFrom("done=true", "done=false", "kind=batch", "kind=custom", "type=export AND done=false"),
    "?operation": fc.constantFrom(...p.ids.operations!.map((o) => `operations/${o}`)),
    "?type": fc.constantFrom("export.succeeded", "batch.succeeded"),
    "?update_mask": fc.constantFrom("uri", "subscribed_events", "name,uri", "state"),
    "?alt": fc.constant("media"),
    // Any other token is a 400: only the server's own tokens are pages.
    "?page_token": fc.constant(""),
    "?pageToken": fc.constant(""),
  };
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(req: FuzzRequest): Promise<Answer> {
  const res = await http.request({
    origin: server.url,
    path: req.url,
    method: req.method as "GET",
    headers: req.headers,
    body: req.body ?? null,
  });
  const contentType = String(res.headers["content-type"] ?? "");
  if (contentType.startsWith("text/event-stream")) {
    // The event stream stays open by design: its answer is the status and headers. Destroying the body
    // aborts the request, which undici reports as an error on the body (UND_ERR_ABORTED): expected here.
    res.body.on("error", () => {});
    res.body.destroy();
    return { status: res.statusCode, contentType, text: "" };
  }
  return { status: res.statusCode, contentType, text: await res.body.text() };
}

/** The rules every answer follows, and the answer a single fault prescribes; throws an account of what broke. */
function judge(req: FuzzRequest, answer: Answer): void {
  const fail = (why: string): never => {
    throw new Error(
      `${why}\n  request: ${describeRequest(req)}\n  answer: ${answer.status} ${answer.contentType} ${preview(answer.text, 600)}`,
    );
  };
  if (answer.status >= 500) fail("a 5xx");
  const faulty = req.faults.some((f) => f.status !== undefined);
  if (faulty && answer.status < 400) fail("a request with a fault was accepted");
  if (answer.status >= 400) {
    let body: any;
    try {
      body = JSON.parse(answer.text);
    } catch {
      fail("a 4xx that is not JSON");
    }
    const error = body?.error;
    if (Object.keys(body ?? {}).join() !== "error" || typeof error !== "object") fail("a 4xx that is not {error: {…}}");
    if (error.code !== answer.status) fail("error.code is not the HTTP status");
    if (typeof error.message !== "string" || error.message === "") fail("error.message is missing");
    if (!(STATUS_NAMES[answer.status] ?? []).includes(error.status))
      fail(`error.status ${JSON.stringify(error.status)} does not go with HTTP ${answer.status}`);
    if (answer.status === 400) {
      const violations = (error.details ?? []).find(
        (d: any) => d?.["@type"] === "type.googleapis.com/google.rpc.BadRequest",
      )?.fieldViolations;
      if (!Array.isArray(violations) || violations.length === 0) fail("a 400 that names no field");
      for (const v of violations)
        if (typeof v.field !== "string" || typeof v.description !== "string" || v.description === "")
          fail("a malformed fieldViolation");
    }
  }
  const fault = soleFault(req);
  if (fault === undefined) return;
  if (!fault.status.includes(answer.status)) fail(`expected ${fault.status.join(" or ")} for ${fault.what}`);
  if (answer.status === 400 || answer.status === 413) {
    const error = JSON.parse(answer.text).error;
    const named = error.details?.[0]?.fieldViolations?.[0]?.field;
    if (fault.field !== undefined && named !== fault.field)
      fail(`expected the 400 to name ${JSON.stringify(fault.field)} for ${fault.what}, not ${JSON.stringify(named)}`);
    for (const text of fault.mentions ?? [])
      if (!error.message.includes(text)) fail(`expected the message to list ${JSON.stringify(text)}`);
  }
}

describe("fuzzing every operation of /openapi.json", () => {
  it("answers each request with a 2xx or a 4xx google.rpc.Status, each fault as prescribed, and stays healthy", async () => {
    const methodsAt = (path: string) => operations.filter((o) => o.path === path).map((o) => o.method);
    const requests = fc.oneof(...operations.map((op) => requestsFor(op, methodsAt(op.path), pools, hints)));
    const sent = new Map<string, number>();
    // Each round sends one to three requests at once: concurrent writes meet in the store as they would in use.
    const property = fc.asyncProperty(
      fc.array(requests.map(described), { minLength: 1, maxLength: 3 }),
      async (round) => {
        await Promise.all(
          round.map(async (req) => {
            sent.set(req.op, (sent.get(req.op) ?? 0) + 1);
            let answer: Answer;
            try {
              answer = await send(req);
            } catch (err) {
              throw new Error(`no answer (${(err as Error).message})\n  request: ${describeRequest(req)}`);
            }
            judge(req, answer);
            tally(req, answer);
          }),
        );
      },
    );
    try {
      await fc.assert(property, { seed: SEED, numRuns: ROUNDS });
    } catch (err) {
      const cause = (err as Error).cause instanceof Error ? `\n${((err as Error).cause as Error).message}` : "";
      throw new Error(
        `fuzzing failed with seed ${SEED}; repeat it with TIDINGS_FUZZ_SEED=${SEED} npx vitest run packages/server/test/fuzz.test.ts\n${(err as Error).message}${cause}`,
      );
    }

    if (process.env.TIDINGS_FUZZ_STATS) console.log(report());

    // Every operation was tried (the chance of missing one in 1,000 requests is about 1e-10).
    const tried = new Set([...sent.keys()].map((op) => op.replace(/ \((start|chunk)\)$/, "")));
    expect(operations.map((o) => o.id).filter((id) => !tried.has(id))).toEqual([]);

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const created = await server.api("POST", "/v1/operations", { type: "after_fuzzing" });
    expect(created.status).toBe(200);
    expect((await server.api("GET", `/v1/${created.body.name}`)).status).toBe(200);
    expect(
      (await server.api("POST", "/v1/webhooks", { uri: "https://hooks.example.com/after", subscribed_events: ["*"] }))
        .status,
    ).toBe(200);
  });
});

const statuses = new Map<string, Map<number, number>>();
const pinned = new Map<string, number>();

/**
 * What the run covered, printed with TIDINGS_FUZZ_STATS=1: answers per operation, and single faults checked by kind.
 */
function tally(req: FuzzRequest, answer: Answer): void {
  const byStatus = statuses.get(req.op) ?? new Map<number, number>();
  byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
  statuses.set(req.op, byStatus);
  const fault = soleFault(req);
  const kind =
    fault === undefined
      ? req.faults.length === 0
        ? "(valid)"
        : "(several faults or noise)"
      : fault.what.replace(/[\d"].*$/, "").trim();
  pinned.set(kind, (pinned.get(kind) ?? 0) + 1);
}

function report(): string {
  const lines = [...statuses].map(
    ([op, byStatus]) =>
      `${op.padEnd(52)} ${[...byStatus]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(" ")}`,
  );
  return [
    ...lines,
    "",
    ...[...pinned].sort(([, a], [, b]) => b - a).map(([kind, n]) => `${String(n).padStart(5)}  ${kind}`),
  ].join("\n");
}

/** fast-check prints a failing request with this: its bodies can be a megabyte. */
function described(req: FuzzRequest): FuzzRequest {
  return Object.defineProperty(req, fc.toStringMethod, { value: () => describeRequest(req), enumerable: false });
}
