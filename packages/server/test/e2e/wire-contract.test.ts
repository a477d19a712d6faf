/**
 * The conventions of docs/wire.md on every endpoint, found by iterating the served OpenAPI document rather than listed
 * by hand:
 * an unknown field is a 400 naming it (`Unknown name "colour": Cannot find field`), in a body, in a nested
 * message and in the query; a timestamp that is not RFC 3339 is a 400 naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  concretePath,
  fieldName,
  fieldsWhere,
  isMessage,
  minimalValue,
  operationsOf,
  setAt,
  type Operation,
  type Schema,
} from "../helpers/openapi.js";
import { ADMIN_KEY, startTidings, type TestServer } from "../helpers/tidings.js";

let server: TestServer;
let operations: Operation[];
beforeAll(async () => {
  server = await startTidings();
  operations = await operationsOf(server.url);
});
afterAll(() => server.close());

const isAdmin = (op: Operation) => op.path.startsWith("/v1/projects") || op.path.startsWith("/v1/signingKeys");

async function send(op: Operation, body: unknown, query = ""): Promise<{ status: number; body: any }> {
  const url = `${concretePath(op.path)}${query}`;
  return server.api(op.method, url, body, isAdmin(op) ? ADMIN_KEY : server.key);
}

function expectViolation(res: { status: number; body: any }, field: string, what: string): void {
  expect(res.status, what).toBe(400);
  expect(res.body.error.status, what).toBe("INVALID_ARGUMENT");
  expect(res.body.error.details[0]["@type"], what).toBe("type.googleapis.com/google.rpc.BadRequest");
  expect(res.body.error.details[0].fieldViolations[0].field, what).toBe(field);
}

/** The path of a field of the body that is a message (or a list of them), to put an unknown name inside. */
function nestedMessage(schema: Schema): string[] | undefined {
  return fieldsWhere(schema, (field) => isMessage(field.items ?? field))[0];
}

const writes = () => operations.filter((op) => op.method === "POST" || op.method === "PATCH");

describe("every POST and PATCH endpoint of /openapi.json", () => {
  it("takes a JSON body, except the resumable upload, whose chunks are raw bytes", () => {
    expect(writes().length).toBeGreaterThan(15);
    expect(
      writes()
        .filter((op) => op.body === undefined)
        .map((op) => op.id),
    ).toEqual(["POST /upload/v1/files"]);
  });

  it("answers an unknown field with a 400 naming it, like Google's Unknown name", async () => {
    for (const op of writes().filter((o) => o.body !== undefined)) {
      const res = await send(op, { ...(minimalValue(op.body!) as object), colour: "red" });
      expectViolation(res, "colour", op.id);
      expect(res.body.error.message, op.id).toContain('Unknown name "colour": Cannot find field');
    }
  });

  it("names an unknown field inside a nested message by its path", async () => {
    const probed: string[] = [];
    for (const op of writes().filter((o) => o.body !== undefined)) {
      const nested = nestedMessage(op.body!);
      if (nested === undefined) continue;
      const body = minimalValue(op.body!) as Record<string, unknown>;
      setAt(body, [...nested, "colour"], "red", op.body!);
      expectViolation(await send(op, body), fieldName([...nested, "colour"], op.body!), op.id);
      probed.push(op.id);
    }
    expect(probed).toEqual(
      expect.arrayContaining([
        "POST /v1/operations",
        "POST /v1/models/{id}:batchGenerateContent",
        "POST /v1/models/{id}:generateContent",
      ]),
    );
  });

  it("answers a timestamp that is not RFC 3339 with a 400 naming it", async () => {
    const checked: string[] = [];
    for (const op of writes().filter((o) => o.body !== undefined)) {
      for (const path of fieldsWhere(op.body, (field) => field.format === "date-time")) {
        const field = fieldName(path, op.body!);
        for (const bad of [
          12345,
          "tomorrow",
          "2026-05-04T12:00:00",
          "2026-05-04",
          "2026-02-30T10:00:00Z",
          "2026-05-04 12:00",
        ]) {
          const body = minimalValue(op.body!) as Record<string, unknown>;
          setAt(body, path, bad, op.body!);
          const res = await send(op, body);
          expectViolation(res, field, `${op.id} ${field}=${JSON.stringify(bad)}`);
          expect(res.body.error.message).toContain("RFC 3339");
        }
        // The check is on the form: a real timestamp gets past it (to the handler's own answer).
        const body = minimalValue(op.body!) as Record<string, unknown>;
        setAt(body, path, "2099-05-04T12:00:00+02:00", op.body!);
        const res = await send(op, body);
        expect(res.body?.error?.details?.[0]?.fieldViolations?.[0]?.field, `${op.id} ${field}`).not.toBe(field);
        checked.push(`${op.id} ${field}`);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        "POST /v1/operations expire_time",
        "POST /v1/webhooks/{id}:recover since",
        "POST /v1/webhooks/{id}:recover until",
      ]),
    );
  });

  it("answers a duration that is not seconds with a 400 naming it", async () => {
    const [op] = writes().filter((o) => o.id === "POST /v1/models/{id}:batchGenerateContent");
    for (const bad of ["1h", "3600", 3600, "-5s"]) {
      expectViolation(
        await send(op!, { batch: { ttl: bad, inputConfig: { fileName: "files/x" } } }),
        "batch.ttl",
        `ttl ${JSON.stringify(bad)}`,
      );
    }
  });
});

describe("every endpoint of /openapi.json", () => {
  it("answers an unknown query parameter with a 400 naming it", async () => {
    for (const op of operations) {
      const res = await send(op, op.body === undefined ? undefined : minimalValue(op.body), "?colour=red");
      expectViolation(res, "colour", op.id);
    }
  });
});

describe("the resumable upload's JSON start body", () => {
  it("is held to the same contract", async () => {
    const start = (body: unknown) =>
      fetch(`${server.url}/upload/v1beta/files`, {
        method: "POST",
        headers: {
          "x-goog-api-key": server.key,
          "content-type": "application/json",
          "x-goog-upload-protocol": "resumable",
          "x-goog-upload-command": "start",
          "x-goog-upload-header-content-length": "3",
          "x-goog-upload-header-content-type": "text/plain",
        },
        body: JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, body: await res.json().catch(() => undefined) }));
    expectViolation(await start({ file: { displayName: "a" }, colour: "red" }), "colour", "top level");
    expectViolation(await start({ file: { displayName: "a", colour: "red" } }), "file.colour", "inside file");
    expect((await start({ file: { display_name: "a" } })).status).toBe(200);
  });
});
