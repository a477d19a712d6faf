/**
 * Requests for the fuzz test, one arbitrary per operation of the served OpenAPI document. A request is
 * put together from parts (path and id, query, credentials, content type, body), each either valid or
 * broken in one known way (a `Fault`, naming the field the 400 must name) or odd in a way whose answer is
 * not pinned down (noise: any 4xx will do). A request with exactly one fault must get that fault's answer.
 */
import { StartUploadRequest } from "@tidings/sdk/contract";
import fc from "fast-check";
import { MAX_JSON_DEPTH } from "../../src/core/json.js";
import {
  BODY_BREAKS,
  breakBody,
  nested,
  preview,
  UNKNOWN_NAMES,
  validValue,
  type Fault,
  type Hints,
} from "./fuzz-values.js";
import { otherSpelling, type Operation, type Parameter, type Schema } from "./openapi.js";

/** What the server holds when the fuzzing starts, so that some ids are real. */
export interface Pools {
  /** Real ids by the collection that names them in a path: `webhooks`, `operations`, `files`, … */
  ids: Record<string, string[]>;
  /** Real ids that only DELETE requests get, so that the others keep finding theirs. */
  doomed: Record<string, string[]>;
  /** `upload_id`s of upload sessions started before the fuzzing. */
  uploads: string[];
  projectKey: string;
  adminKey: string;
}

export interface FuzzRequest {
  op: string;
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Everything wrong with it; noise has no `status`. */
  faults: (Fault | Noise)[];
}

/** An oddity whose answer is not pinned down beyond the rules every answer follows. */
export interface Noise {
  what: string;
  status?: undefined;
}

/** The one fault whose answer is pinned down, when the request has exactly one thing wrong with it. */
export function soleFault(req: FuzzRequest): Fault | undefined {
  const [only, ...rest] = req.faults;
  return rest.length === 0 && only?.status !== undefined ? only : undefined;
}

/** A compact account of a request, for failure reports: bodies can be a megabyte. */
export function describeRequest(req: FuzzRequest): string {
  const body = req.body === undefined ? "" : `\n  body: ${preview(req.body.toString(), 300)}`;
  const faults = req.faults.length === 0 ? "none" : req.faults.map((f) => f.what).join("; ");
  return `${req.method} ${preview(req.url, 300)}\n  headers: ${JSON.stringify(req.headers)}${body}\n  faults: ${faults}`;
}

interface Part {
  faults: (Fault | Noise)[];
}

const noise = (what: string): Noise => ({ what });

// --- path ------------------------------------------------------------------------------------------------

/** Ids that are not ids: encodings, dot segments, separators, unicode. */
const ODD_IDS = [
  "%00",
  "..",
  ".",
  "%2F",
  "%2e%2e",
  "%25",
  "a%3Ab",
  "%20",
  "%ZZ",
  "%",
  "%C3%BC%C3%B1%C3%AF",
  "%F0%9F%99%82",
  "*",
  "~",
  "a;b",
  "%0D%0A",
];

function idPart(name: string, schema: Schema, real: string[]): fc.Arbitrary<Part & { id: string }> {
  return fc.oneof(
    ...(real.length > 0 ? [{ weight: 10, arbitrary: fc.constantFrom(...real).map((id) => ({ id, faults: [] })) }] : []),
    { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9]{1,36}$/).map((id) => ({ id, faults: [] })) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_IDS).map((id) => ({ id, faults: [noise(`odd id ${id}`)] })) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: (schema.maxLength ?? 128) + 1, max: 4000 }).map((length) => ({
        id: "a".repeat(length),
        faults: [{ what: `a path's ${name} of ${length} characters`, status: [400], field: name }],
      })),
    },
  );
}

/** The collection whose ids fill a path parameter: the segment before it (`/v1/models/{model}/operations/{id}`). */
function collectionOf(path: string, param: string): string {
  return new RegExp(`([^/]+)/\\{${param}\\}`).exec(path)?.[1] ?? "";
}

/**
 * The path with its parameters filled: `{id}` from its collection's ids, `{model}` (of
 * `/v1/models/{model}/operations/{id}`) from the models'. Mostly real ids or plausible ones; now and then
 * odd (encodings, dot segments) or longer than the schema allows.
 */
function pathPart(op: Operation, pools: Pools): fc.Arbitrary<Part & { path: string }> {
  const beta = fc
    .boolean()
    .map((b) => (b ? op.path.replace(/^(\/upload|\/download)?\/v1(?=\/)/, "$1/v1beta") : op.path));
  const params = op.parameters.filter((p) => p.in === "path");
  const fills = params.map((p) => {
    const collection = collectionOf(op.path, p.name);
    const pool = (op.method === "DELETE" ? pools.doomed[collection] : undefined) ?? pools.ids[collection] ?? [];
    return idPart(p.name, p.schema ?? {}, pool);
  });
  return fc.tuple(beta, ...fills).map(([path, ...filled]) => ({
    path: params.reduce((at, p, i) => at.replace(`{${p.name}}`, filled[i]!.id), path),
    faults: filled.flatMap((f) => f.faults),
  }));
}

// --- query -----------------------------------------------------------------------------------------------

/** Query strings that no parameter reads: bad percent-encoding, empty names, brackets. */
const ODD_QUERIES = ["%ZZ", "a=%E0%A4%A", "&&", "=", "x=1=2", "%00=%00", "a[b]=1", "a%5B%5D=1", "?", "+=+", "%26=%3D"];

function unknownParameterNames(params: Parameter[]): string[] {
  const taken = new Set(params.flatMap((p) => [p.name, otherSpelling(p.name)]));
  return UNKNOWN_NAMES.filter((n) => !taken.has(n) && n !== "key");
}

/** Values that break a query parameter's schema, all short: a URL must stay under the 16 KiB header limit. */
function queryViolations(schema: Schema): string[] {
  const found: string[] = [];
  if (schema.type === "integer") found.push("abc", "1.5", "");
  if (schema.minimum !== undefined) found.push(String(schema.minimum - 1));
  if (schema.maximum !== undefined) found.push(String(schema.maximum + 1));
  if (schema.enum !== undefined) found.push("not_one_of_them");
  if (schema.maxLength !== undefined) found.push("q".repeat(schema.maxLength + 1));
  return found;
}

/** A parameter the handler needs although the schema marks it optional (`?alt=media` on downloads). */
const NEEDED = new Set(["alt"]);

type Query = Part & { query: [string, string][]; raw: string };

function queryPart(op: Operation, hints: Hints): fc.Arbitrary<Query> {
  const params = op.parameters.filter((p) => p.in === "query");
  const valid = fc
    .tuple(
      ...params.map((p) => {
        const present = fc
          // Short: a URL must stay under node:http's 16 KiB (its own fault, below).
          .tuple(fc.boolean(), validValue({ maxLength: 100, ...p.schema }, hints, `?${p.name}`))
          .map(([respell, value]): [string, string] => [respell ? otherSpelling(p.name) : p.name, String(value)]);
        return NEEDED.has(p.name) ? present : fc.option(present, { nil: undefined });
      }),
    )
    .map((entries) => entries.filter((e): e is [string, string] => e !== undefined));
  /** The valid query with parameter `p` (in either spelling) replaced by `entries`. */
  const replacing = (query: [string, string][], p: Parameter, entries: [string, string][]) => [
    ...query.filter(([k]) => k !== p.name && k !== otherSpelling(p.name)),
    ...entries,
  ];
  const fault = (what: string, status: number[], field?: string, mentions?: string[]): Fault => ({
    what,
    status,
    ...(field !== undefined ? { field } : {}),
    ...(mentions ? { mentions } : {}),
  });
  const among = <T>(
    weight: number,
    from: readonly T[],
    make: (query: [string, string][], item: T, n: number) => Query,
  ): fc.WeightedArbitrary<Query>[] =>
    from.length === 0
      ? []
      : [
          {
            weight,
            arbitrary: fc
              .tuple(valid, fc.constantFrom(...from), fc.nat())
              .map(([query, item, n]) => make(query, item, n)),
          },
        ];

  const breaks = [
    ...among(3, unknownParameterNames(params), (query, name) => ({
      query: [...query, [name, "1"]],
      raw: "",
      faults: [fault(`unknown query parameter ${JSON.stringify(name)}`, [400], name)],
    })),
    ...among(2, ODD_QUERIES, (query, raw) => ({ query, raw, faults: [noise(`odd query ${raw}`)] })),
    // Past node:http's 16 KiB for the request line and headers.
    ...among(1, [17 * 1024, 40 * 1024], (query, size) => ({
      query,
      raw: `page_token=${"t".repeat(size)}`,
      faults: [fault(`a query of ${size} bytes`, [431])],
    })),
    ...among(
      3,
      params.filter((p) => otherSpelling(p.name) !== p.name),
      (query, p) => ({
        query: replacing(query, p, [
          [p.name, "1"],
          [otherSpelling(p.name), "1"],
        ]),
        raw: "",
        faults: [fault(`query ${p.name} spelled both ways`, [400], p.name)],
      }),
    ),
    ...among(
      3,
      params.filter((p) => queryViolations(p.schema ?? {}).length > 0),
      (query, p, n) => {
        const options = queryViolations(p.schema ?? {});
        const bad = options[n % options.length]!;
        return {
          query: replacing(query, p, [[p.name, bad]]),
          raw: "",
          faults: [
            fault(
              `query ${p.name}=${preview(bad)}`,
              [400],
              p.name,
              bad === "not_one_of_them" ? p.schema?.enum?.map(String) : undefined,
            ),
          ],
        };
      },
    ),
    // Twice: the query parser makes a list of it, which no parameter here is.
    ...among(2, params, (query, p) => ({
      query: replacing(query, p, [
        [p.name, "1"],
        [p.name, "2"],
      ]),
      raw: "",
      faults: [fault(`query ${p.name} given twice`, [400], p.name)],
    })),
    ...among(
      3,
      params.filter((p) => NEEDED.has(p.name)),
      (query, p) => ({
        query: replacing(query, p, []),
        raw: "",
        faults: [fault(`query ${p.name} left out`, [400], p.name)],
      }),
    ),
  ];
  return fc.oneof(
    { weight: 8, arbitrary: valid.map((query) => ({ query, raw: "", faults: [] })) },
    { weight: 1, arbitrary: fc.oneof(...breaks) },
  );
}

// --- credentials -----------------------------------------------------------------------------------------

type Auth = Part & { headers: Record<string, string>; query: [string, string][] };

const isAdmin = (op: Operation) => /^\/v1\/(projects|signingKeys)/.test(op.path);
const isPublic = (op: Operation) => op.path.startsWith("/.well-known/");

function authPart(op: Operation, pools: Pools): fc.Arbitrary<Auth> {
  const none = { headers: {}, query: [] };
  if (isPublic(op)) return fc.constant({ ...none, faults: [] });
  const key = isAdmin(op) ? pools.adminKey : pools.projectKey;
  const valid: Auth[] = [
    { headers: { "x-goog-api-key": key }, query: [], faults: [] },
    { headers: { authorization: `Bearer ${key}` }, query: [], faults: [] },
  ];
  if (!isAdmin(op)) valid.push({ headers: {}, query: [["key", key]], faults: [] });
  const refused = isAdmin(op) ? [401, 403] : [401];
  const bad: Auth[] = [
    { ...none, faults: [{ what: "no key", status: [401] }] },
    { headers: { "x-goog-api-key": "wrong-key" }, query: [], faults: [{ what: "a wrong key", status: refused }] },
    { headers: { authorization: "Bearer " }, query: [], faults: [{ what: "an empty bearer token", status: [401] }] },
    {
      headers: { authorization: `Basic ${Buffer.from(`u:${key}`).toString("base64")}` },
      query: [],
      faults: [{ what: "basic auth", status: [401] }],
    },
  ];
  if (isAdmin(op)) {
    bad.push(
      {
        headers: { "x-goog-api-key": pools.projectKey },
        query: [],
        faults: [{ what: "a project key on an admin call", status: [403] }],
      },
      {
        headers: {},
        query: [["key", pools.adminKey]],
        faults: [{ what: "the admin key in the query", status: [401] }],
      },
    );
  }
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: fc.constantFrom(...bad) },
  );
}

// --- body ------------------------------------------------------------------------------------------------

type Body = Part & { text?: string };

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON"];
const OTHER_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "text/json",
  "application/json-patch+json",
  ";;;",
  "",
];

/** A malformed JSON text from a valid one: cut short, a stray character, JavaScript rather than JSON. */
function malformed(text: string, n: number): string {
  const variants = [
    text.slice(0, 1 + (n % Math.max(text.length - 1, 1))),
    `${text}}`,
    `${text},`,
    text.replace(/"/g, "'"),
    "{a: 1}",
    '{"a": NaN}',
    '{"a": 1,}',
    "// comment\n{}",
    '{"a": "\\x41"}',
    "\u0000",
  ];
  const broken = variants[n % variants.length]!;
  try {
    JSON.parse(broken);
    return `${broken}}`; // a variant that happened to stay valid (`{}` has no quotes to swap)
  } catch {
    return broken;
  }
}

const bodyFault = (what: string, status = [400]): Fault => ({ what, status, field: "body" });

/** The body of an operation whose request body is JSON, with or without one fault. */
function jsonBodyPart(
  schema: Schema,
  hints: Hints,
  limits: { tooLarge: number[]; limitBytes: number | undefined },
): fc.Arbitrary<Body> {
  const valid = validValue(schema, hints);
  const required = (schema.required ?? []).length > 0;
  return fc.oneof(
    { weight: 8, arbitrary: valid.map((v) => ({ text: JSON.stringify(v), faults: [] })) },
    {
      weight: 8,
      arbitrary: fc.tuple(valid, fc.constantFrom(...BODY_BREAKS), fc.nat(), fc.nat()).map(([v, how, pick, choice]) => {
        const broken = breakBody(v, schema, how, pick, choice);
        if (broken === undefined) return { text: JSON.stringify(v), faults: [] };
        const text = JSON.stringify(broken.body);
        // A field made too long can make the body too large: the body's limit is checked before any field.
        const bytes = Buffer.byteLength(text);
        if (limits.limitBytes !== undefined && bytes > limits.limitBytes)
          return { text, faults: [bodyFault(`${bytes} bytes of body (${broken.fault.what})`, limits.tooLarge)] };
        return { text, faults: [broken.fault] };
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.nat())
        .map(([v, n]) => ({ text: malformed(JSON.stringify(v), n), faults: [bodyFault("malformed JSON")] })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom("[]", "1", '"text"', "null", "true", "[{}]")
        .map((text) => ({ text, faults: [bodyFault(`not an object: ${text}`)] })),
    },
    // Past the nesting limit: just past it, and far past it (too deep for a recursive parser's stack).
    {
      weight: 1,
      arbitrary: fc.integer({ min: MAX_JSON_DEPTH, max: MAX_JSON_DEPTH + 20 }).map((depth) => ({
        text: JSON.stringify({ deep: nested(depth) }),
        faults: [bodyFault(`nested ${depth + 1} levels deep`)],
      })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 10_000, max: 400_000 }).map((depth) => ({
        text: `${"[".repeat(depth)}${"]".repeat(depth)}`,
        faults: [bodyFault(`nested ${depth} levels deep`)],
      })),
    },
    ...(limits.limitBytes === undefined
      ? []
      : [
          {
            weight: 1,
            arbitrary: fc.integer({ min: limits.limitBytes + 1, max: limits.limitBytes + 64 * 1024 }).map((size) => ({
              text: JSON.stringify({ pad: "p".repeat(size) }),
              faults: [bodyFault(`${size} bytes of body`, limits.tooLarge)],
            })),
          },
        ]),
    {
      weight: 1,
      arbitrary: fc.constant({ text: "", faults: required ? [bodyFault("no body, and fields are required")] : [] }),
    },
  );
}

function contentTypePart(): fc.Arbitrary<Part & { contentType: string | undefined }> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...JSON_TYPES).map((contentType) => ({ contentType, faults: [] })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<string | undefined>(...OTHER_TYPES, undefined).map((contentType) => ({
        contentType,
        faults: [{ what: `content-type ${JSON.stringify(contentType)}`, status: [400], field: "content-type" }],
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom("application/json; charset=latin1", "application/json;", "application/json; boundary=x")
        .map((contentType) => ({ contentType, faults: [] })),
    },
  );
}

// --- assembly --------------------------------------------------------------------------------------------

const METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT"];

/** A JSON body's limit: 1 MiB, except inline batches (64 MiB), too large to send here by the hundred. */
const bodyLimit = (op: Operation) => (op.path.endsWith(":batchGenerateContent") ? undefined : 1024 * 1024);

function url(path: string, query: [string, string][], raw: string): string {
  const encoded = new URLSearchParams(query).toString();
  const all = [encoded, raw].filter(Boolean).join("&");
  return all === "" ? path : `${path}?${all}`;
}

/** Headers that change nothing the server reads, or that it must shrug off. */
const STRAY_HEADERS: Record<string, string>[] = [
  {},
  { accept: "text/html" },
  { accept: "application/xml" },
  { "x-http-method-override": "DELETE" },
  { "accept-encoding": "br, gzip" },
];

/** Requests for one operation of the OpenAPI document; `methodsAt` lists the methods its path has. */
export function requestsFor(op: Operation, methodsAt: string[], pools: Pools, hints: Hints): fc.Arbitrary<FuzzRequest> {
  if (op.id === "POST /upload/v1/files") return uploadRequests(op, pools, hints);
  const wrongMethods = METHODS.filter((m) => !methodsAt.includes(m));
  const method = fc.oneof(
    { weight: 20, arbitrary: fc.constant({ method: op.method, faults: [] as (Fault | Noise)[] }) },
    // A custom method's path read as a resource's (`PATCH /v1/webhooks/x:ping` is PATCH of the webhook "x:ping").
    {
      weight: 1,
      arbitrary: fc.constantFrom(...wrongMethods).map((m) => ({
        method: m,
        faults: [{ what: `method ${m}`, status: [404, ...(op.path.includes(":") ? [400] : [])] }],
      })),
    },
  );
  const body: fc.Arbitrary<Body & { contentType: string | undefined }> =
    op.body !== undefined
      ? fc
          .tuple(jsonBodyPart(op.body, hints, { tooLarge: [413], limitBytes: bodyLimit(op) }), contentTypePart())
          .map(([b, ct]) => ({
            text: b.text,
            contentType: ct.contentType,
            // A content type is a fault only when there is a body for it to describe.
            faults: [
              ...b.faults,
              ...(b.text === "" && ct.faults.length > 0 ? [noise("a content type without a body")] : ct.faults),
            ],
          }))
      : fc.oneof(
          {
            weight: 8,
            arbitrary: fc.constant<Body & { contentType: string | undefined }>({
              text: undefined,
              contentType: undefined,
              faults: [],
            }),
          },
          {
            weight: 1,
            arbitrary: fc.constant<Body & { contentType: string | undefined }>({
              text: '{"stray":1}',
              contentType: "application/json",
              faults: [noise("a body where none is read")],
            }),
          },
        );
  return fc
    .record({
      method,
      path: pathPart(op, pools),
      query: queryPart(op, hints),
      auth: authPart(op, pools),
      body,
      stray: fc.constantFrom(...STRAY_HEADERS),
    })
    .map(({ method, path, query, auth, body, stray }) => {
      const headers: Record<string, string> = { ...stray, ...auth.headers };
      if (body.contentType !== undefined) headers["content-type"] = body.contentType;
      const limit = bodyLimit(op);
      // Long values can add up past the limit by themselves: then the size is what the answer is about.
      const oversize =
        limit !== undefined &&
        body.text !== undefined &&
        Buffer.byteLength(body.text) > limit &&
        !body.faults.some((f) => f.status?.includes(413));
      return {
        op: op.id,
        method: method.method,
        url: url(path.path, [...query.query, ...auth.query], query.raw),
        headers,
        ...(body.text !== undefined ? { body: body.text } : {}),
        faults: [
          ...method.faults,
          ...path.faults,
          ...query.faults,
          ...auth.faults,
          ...body.faults,
          ...(oversize ? [noise("a body over the limit")] : []),
        ],
      };
    });
}

// --- the resumable upload --------------------------------------------------------------------------------

const PROTOCOL = "X-Goog-Upload-Protocol";
const COMMAND = "X-Goog-Upload-Command";
const LENGTH = "X-Goog-Upload-Header-Content-Length";

/** One header of the upload protocol: its good values, and bad ones that its own check names. */
function uploadHeader(
  name: string,
  good: string[],
  bad: (string | undefined)[],
): fc.Arbitrary<Part & { value: string | undefined }> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...good).map((value) => ({ value, faults: [] })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<string | undefined>(...bad).map((value) => ({
        value,
        faults: [{ what: `${name}: ${JSON.stringify(value)}`, status: [400], field: name }],
      })),
    },
  );
}

/**
 * `POST /upload/v1/files`: its byte chunks are not JSON and are not fuzzed beyond a few random bytes; the
 * JSON that starts a session, the protocol's headers and the query are.
 */
function uploadRequests(op: Operation, pools: Pools, hints: Hints): fc.Arbitrary<FuzzRequest> {
  const schema = StartUploadRequest as unknown as Schema;
  const path = fc.constantFrom("/upload/v1/files", "/upload/v1beta/files");
  const start = fc
    .record({
      path,
      query: queryPart({ ...op, parameters: op.parameters.filter((p) => p.name !== "upload_id") }, hints),
      auth: authPart(op, pools),
      protocol: uploadHeader(PROTOCOL, ["resumable"], ["multipart", "RESUMABLE!", undefined]),
      command: uploadHeader(COMMAND, ["start", "Start"], ["upload", "start, finalize", "bogus", undefined]),
      length: uploadHeader(LENGTH, ["3", "0", "1048576"], ["abc", "-1", "1.5", "0x10"]),
      body: jsonBodyPart(schema, hints, { tooLarge: [400, 413], limitBytes: 64 * 1024 }),
    })
    .map(({ path, query, auth, protocol, command, length, body }) => {
      const headers: Record<string, string> = {
        ...auth.headers,
        "content-type": "application/json",
        "x-goog-upload-header-content-type": "text/plain",
      };
      for (const [name, part] of [
        [PROTOCOL, protocol],
        [COMMAND, command],
        [LENGTH, length],
      ] as const)
        if (part.value !== undefined) headers[name.toLowerCase()] = part.value;
      return {
        op: `${op.id} (start)`,
        method: "POST",
        url: url(path, [...query.query, ...auth.query], query.raw),
        headers,
        body: body.text ?? "",
        faults: [
          ...query.faults,
          ...auth.faults,
          ...protocol.faults,
          ...command.faults,
          ...length.faults,
          ...body.faults,
        ],
      };
    });
  const sessions = pools.uploads.length > 0 ? fc.constantFrom(...pools.uploads) : fc.constant("none");
  const chunk = fc
    .record({
      path,
      uploadId: fc.oneof(
        sessions,
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        fc.constantFrom("", "a".repeat(129), "%00", "../x"),
      ),
      withKey: fc.boolean(),
      command: fc.constantFrom(
        "upload",
        "upload, finalize",
        "finalize",
        "query",
        "cancel",
        "bogus",
        "UPLOAD,FINALIZE",
        "",
      ),
      offset: fc.option(fc.constantFrom("0", "1", "3", "abc", "-1", "99999999999999999999999"), { nil: undefined }),
      bytes: fc.uint8Array({ maxLength: 64 }),
      contentType: fc.constantFrom("application/octet-stream", "application/json", "text/plain"),
    })
    .map(({ path, uploadId, withKey, command, offset, bytes, contentType }) => {
      const headers: Record<string, string> = { "content-type": contentType, "x-goog-upload-command": command };
      if (withKey) headers["x-goog-api-key"] = pools.projectKey;
      if (offset !== undefined) headers["x-goog-upload-offset"] = offset;
      return {
        op: `${op.id} (chunk)`,
        method: "POST",
        url: url(
          path,
          [
            ["upload_id", uploadId],
            ["upload_protocol", "resumable"],
          ],
          "",
        ),
        headers,
        body: Buffer.from(bytes),
        faults: [noise("a chunk")],
      };
    });
  return fc.oneof({ weight: 3, arbitrary: start }, { weight: 2, arbitrary: chunk });
}
