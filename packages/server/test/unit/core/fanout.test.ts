import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../../../src/core/events.js";
import { endpointKey, eventTargetFor, planDeliveries, planRedelivery } from "../../../src/core/fanout.js";
import type { Webhook } from "../../../src/core/webhooks.js";

const T0 = Date.parse("2026-05-04T12:00:00Z");
const event: StoredEvent = {
  id: "msg_1",
  projectId: "p",
  type: "export.succeeded",
  operation: "operations/o",
  payload: { type: "export.succeeded", version: "v1", timestamp: "t", data: { id: "operations/o" } },
  createdAt: T0,
};
const hook = (id: string, overrides: Partial<Pick<Webhook, "state" | "subscribedEvents">> = {}) => ({
  id,
  uri: `https://${id}.example/hook`,
  state: "enabled" as const,
  subscribedEvents: ["*"],
  ...overrides,
});

describe("eventTargetFor (the target choice)", () => {
  it("sends to the request's own URIs when it has a webhook_config, else to the subscribed static webhooks", () => {
    expect(eventTargetFor({ uris: ["https://a.example/x"], user_metadata: { k: 1 } })).toEqual({
      kind: "uris",
      uris: ["https://a.example/x"],
    });
    expect(eventTargetFor(undefined)).toEqual({ kind: "subscribers" });
  });
});

describe("planDeliveries", () => {
  it("fans out to enabled webhooks subscribed to the type, except the excluded one", () => {
    const webhooks = [
      hook("all"),
      hook("exports", { subscribedEvents: ["export.*"] }),
      hook("batches", { subscribedEvents: ["batch.succeeded"] }),
      hook("off", { state: "disabled" }),
      hook("excluded"),
    ];
    const planned = planDeliveries(event, { kind: "subscribers", excludeWebhookId: "excluded" }, webhooks, T0 + 5);
    expect(planned.map((d) => d.webhookId)).toEqual(["all", "exports"]);
    expect(planned[0]).toMatchObject({
      eventId: "msg_1",
      projectId: "p",
      uri: "https://all.example/hook",
      endpointKey: "webhook:all",
      windowStartAt: T0,
      createdAt: T0 + 5,
    });
  });

  it("sends to one webhook whatever it subscribes to, and to each distinct URI once", () => {
    expect(
      planDeliveries(
        event,
        { kind: "webhook", webhookId: "batches" },
        [hook("all"), hook("batches", { subscribedEvents: ["batch.*"] })],
        T0,
      ).map((d) => d.webhookId),
    ).toEqual(["batches"]);
    const dynamic = planDeliveries(
      event,
      { kind: "uris", uris: ["https://a.example/1", "https://a.example/1", "https://a.example/2"] },
      [],
      T0,
    );
    expect(dynamic.map((d) => [d.uri, d.webhookId, d.endpointKey])).toEqual([
      ["https://a.example/1", undefined, "origin:https://a.example"],
      ["https://a.example/2", undefined, "origin:https://a.example"],
    ]);
  });
});

describe("planRedelivery", () => {
  const previous = [
    { webhookId: "all", uri: "https://all.example/hook" },
    { webhookId: "off", uri: "https://off.example/hook" },
    { uri: "https://dyn.example/x" },
  ];

  it("goes to the original targets that can still receive it: dynamic URIs and still-enabled webhooks", () => {
    const planned = planRedelivery(
      event,
      previous,
      [hook("all"), hook("off", { state: "disabled" }), hook("new")],
      undefined,
      T0 + 9,
    );
    expect(planned.map((d) => d.webhookId ?? d.uri).sort()).toEqual(["all", "https://dyn.example/x"]);
    expect(planned.every((d) => d.eventId === "msg_1" && d.windowStartAt === T0 && d.createdAt === T0 + 9)).toBe(true);
  });

  it("or to the one webhook asked for", () => {
    expect(planRedelivery(event, previous, [hook("new")], "new", T0).map((d) => d.webhookId)).toEqual(["new"]);
  });
});

describe("endpointKey", () => {
  it("groups a static webhook's deliveries by webhook, and dynamic ones by origin", () => {
    expect(endpointKey("w1", "https://x.example/a")).toBe("webhook:w1");
    expect(endpointKey(undefined, "https://x.example:8443/a?b")).toBe("origin:https://x.example:8443");
  });
});
