import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";

describe("configuration (flags mirror the environment)", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      publicUrl: "http://127.0.0.1:8080",
      role: "all",
      dev: false,
      allowedCidrs: [],
      deliveryTimeoutMs: 10_000,
      retryScheduleSeconds: [5, 30, 120, 600, 1800, 3600, 7200, 14400, 21600, 28800],
      provider: "local",
      sqliteSynchronous: "normal",
      batchDeadlineMs: 48 * 3600_000,
      dynamicSigning: "jwt",
      jwtAlgorithm: "RS256",
    });
    expect(config.dataDir.endsWith(".tidings")).toBe(true);
  });

  it("has the documented limits, the rate limit off, and /metrics beside the API with no token", () => {
    const config = loadConfig({}, {});
    expect(config.limits).toEqual({
      maxStreamsPerProject: 32,
      maxStreams: 1000,
      maxWebhooksPerProject: 500,
      maxUploadsPerProject: 100,
      maxProjectFileBytes: 20 * 1024 ** 3,
      rateLimitPerProject: 0,
      maxLargeBodies: 2,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 120_000,
    });
    expect(config.metricsToken).toBeUndefined();
    expect(config.metricsAddress).toBeUndefined();
  });

  it("reads the limits and where /metrics goes, and refuses bad values naming the variable", () => {
    const config = loadConfig(
      {},
      {
        TIDINGS_MAX_WEBHOOKS_PER_PROJECT: "20",
        TIDINGS_RATE_LIMIT_PER_PROJECT: "2.5",
        TIDINGS_MAX_CONNECTIONS: "5000",
        TIDINGS_METRICS_ADDR: "[::1]:9464",
        TIDINGS_METRICS_TOKEN: "t",
      },
    );
    expect(config.limits).toMatchObject({ maxWebhooksPerProject: 20, rateLimitPerProject: 2.5, maxConnections: 5000 });
    expect(config.metricsAddress).toEqual({ host: "::1", port: 9464 });
    expect(config.metricsToken).toBe("t");
    expect(loadConfig({}, { TIDINGS_METRICS_ADDR: ":9464" }).metricsAddress).toEqual({ host: "0.0.0.0", port: 9464 });
    expect(() => loadConfig({}, { TIDINGS_MAX_STREAMS_PER_PROJECT: "0" })).toThrow(/TIDINGS_MAX_STREAMS_PER_PROJECT/);
    expect(() => loadConfig({}, { TIDINGS_RATE_LIMIT_PER_PROJECT: "fast" })).toThrow(/TIDINGS_RATE_LIMIT_PER_PROJECT/);
    expect(() => loadConfig({}, { TIDINGS_METRICS_ADDR: "9464" })).toThrow(/TIDINGS_METRICS_ADDR/);
    expect(() => loadConfig({}, { TIDINGS_HEADERS_TIMEOUT_MS: "5000", TIDINGS_REQUEST_TIMEOUT_MS: "1000" })).toThrow(
      /TIDINGS_HEADERS_TIMEOUT_MS/,
    );
  });

  it("takes flags over the environment, and dev mode allows loopback targets", () => {
    const config = loadConfig(
      { port: "9000", host: "0.0.0.0", dev: true, role: "worker" },
      {
        TIDINGS_PORT: "7000",
        TIDINGS_RETRY_SCHEDULE: "1,1,2",
        TIDINGS_ALLOWED_CIDRS: "10.0.0.0/8",
        TIDINGS_SQLITE_SYNCHRONOUS: "FULL",
      },
    );
    expect(config).toMatchObject({
      port: 9000,
      host: "0.0.0.0",
      role: "worker",
      retryScheduleSeconds: [1, 1, 2],
      sqliteSynchronous: "full",
    });
    expect(config.allowedCidrs).toEqual(["127.0.0.0/8", "::1/128", "10.0.0.0/8"]);
  });

  it("refuses bad values with a message naming the variable", () => {
    expect(() => loadConfig({}, { TIDINGS_PORT: "eighty" })).toThrow(/TIDINGS_PORT/);
    expect(() => loadConfig({}, { TIDINGS_ROLE: "boss" })).toThrow(/TIDINGS_ROLE/);
    expect(() => loadConfig({}, { TIDINGS_RETRY_SCHEDULE: "5,soon" })).toThrow(/TIDINGS_RETRY_SCHEDULE/);
    expect(() => loadConfig({}, { TIDINGS_SQLITE_SYNCHRONOUS: "sometimes" })).toThrow(/TIDINGS_SQLITE_SYNCHRONOUS/);
    expect(() => loadConfig({}, { TIDINGS_PROVIDER: "magic" })).toThrow(/TIDINGS_PROVIDER/);
    expect(() => loadConfig({}, { TIDINGS_DYNAMIC_SIGNING: "v2" })).toThrow(/TIDINGS_DYNAMIC_SIGNING/);
  });

  it("signs v1a with Ed25519 keys, whatever TIDINGS_JWT_ALG's default, and refuses an algorithm that cannot", () => {
    expect(loadConfig({}, { TIDINGS_DYNAMIC_SIGNING: "v1a" })).toMatchObject({
      dynamicSigning: "v1a",
      jwtAlgorithm: "EdDSA",
    });
    expect(loadConfig({}, { TIDINGS_DYNAMIC_SIGNING: "v1a", TIDINGS_JWT_ALG: "EdDSA" })).toMatchObject({
      jwtAlgorithm: "EdDSA",
    });
    expect(() => loadConfig({}, { TIDINGS_DYNAMIC_SIGNING: "v1a", TIDINGS_JWT_ALG: "RS256" })).toThrow(
      /TIDINGS_JWT_ALG.*v1a/,
    );
  });
});
