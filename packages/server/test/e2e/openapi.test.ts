import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTidings, type TestServer } from "../helpers/tidings.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTidings();
});
afterAll(() => server.close());

describe("GET /openapi.json", () => {
  it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toBe("3.1.0");
    for (const path of ["/v1/webhooks", "/v1/webhooks/{id}", "/v1/operations", "/v1/events", "/v1/projects"]) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    const create = doc.paths["/v1/webhooks"].post;
    expect(create.requestBody.content["application/json"].schema.properties).toHaveProperty("subscribed_events");
    expect(create.responses["200"].content["application/json"].schema.properties).toHaveProperty("new_signing_secret");
    expect(Object.keys(doc.paths)).toContain("/v1/webhooks/{id}:ping");
  });
});
