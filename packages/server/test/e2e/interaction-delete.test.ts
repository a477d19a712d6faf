import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";

const MODEL = "gemini-2.5-flash";
const weather = {
  type: "function",
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } } },
};

describe("deleting one interaction several times at once", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTidings();
  });
  afterAll(() => server.close());

  const deleteThrice = async (id: string) =>
    (await Promise.all([1, 2, 3].map(() => server.api("DELETE", `/v1/interactions/${id}`))))
      .map((r) => r.status)
      .sort();

  it("answers 200 to one delete and 404 to the others, every round, finished or waiting", async () => {
    for (let round = 0; round < 5; round++) {
      const finished = await server.api<{ id: string; status: string }>("POST", "/v1/interactions", {
        model: MODEL,
        input: "hello",
      });
      expect(finished.body.status).toBe("completed");
      expect(await deleteThrice(finished.body.id)).toEqual([200, 404, 404]);

      const waiting = await server.api<{ id: string }>("POST", "/v1/interactions", {
        model: MODEL,
        input: "Weather in Paris? Use get_weather with city: Paris",
        tools: [weather],
        background: true,
      });
      const id = waiting.body.id;
      await waitUntil(
        async () =>
          (await server.api<{ status: string }>("GET", `/v1/interactions/${id}`)).body.status === "requires_action",
      );
      expect(await deleteThrice(id)).toEqual([200, 404, 404]);
      // Cancelled once, by the delete that won: one interaction.cancelled, not one per delete.
      const events = await server.api<{ events: { type: string }[] }>(
        "GET",
        `/v1/events?operation=${encodeURIComponent(`interactions/${id}`)}`,
      );
      expect(
        events.body.events.filter((e) => e.type === "interaction.cancelled"),
        `round ${round}`,
      ).toHaveLength(1);
      expect((await server.api("GET", `/v1/interactions/${id}`)).status).toBe(404);
    }
  });
});
