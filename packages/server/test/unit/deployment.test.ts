/**
 * The deployment files (Dockerfile, .dockerignore, deploy/compose.yaml, the Helm chart, the systemd unit), read
 * as their tools read them: every environment variable they set is one the server reads (the list comes from
 * loadConfig itself), the probes and the health check ask paths a server of that role answers, and the
 * structure the issue asks for is there (multi-stage, non-root, volume, both roles on PostgreSQL, a Secret, a
 * PodDisruptionBudget). No Docker engine or helm here: the chart is rendered by test/helpers/helm-template.ts.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadConfig } from "../../src/config.js";
import { HelmChart } from "../helpers/helm-template.js";
import { startTidings, type TestServer } from "../helpers/tidings.js";

const REPO = join(import.meta.dirname, "..", "..", "..", "..");
const read = (path: string) => readFileSync(join(REPO, path), "utf8");

/** Every variable loadConfig reads, learnt by handing it an environment that records what is asked of it. */
function configVariables(): Set<string> {
  const asked = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get(_target, name) {
      if (typeof name === "string") asked.add(name);
      return undefined;
    },
  });
  loadConfig({}, env);
  return asked;
}
const CONFIG = configVariables();

/** Names the configuration does not read: each would be silently ignored by the server. */
const unknown = (names: Iterable<string>) => [...names].filter((name) => !CONFIG.has(name));

/** Literal values (no ${…} interpolation) must also be values loadConfig accepts. */
function expectValidValues(env: Record<string, string>): void {
  const literal = Object.fromEntries(Object.entries(env).filter(([, v]) => !v.includes("${")));
  expect(() => loadConfig({}, literal)).not.toThrow();
}

/** A server of each role, to ask the probes' paths. */
const servers: Partial<Record<"api" | "worker", TestServer>> = {};
beforeAll(async () => {
  servers.api = await startTidings({ env: { TIDINGS_ROLE: "api" } });
  servers.worker = await startTidings({ env: { TIDINGS_ROLE: "worker" } });
});
afterAll(async () => {
  await servers.api?.close();
  await servers.worker?.close();
});

async function answers(role: "api" | "worker", path: string): Promise<number> {
  return (await fetch(`${servers[role]!.url}${path}`)).status;
}

it("learns the configuration's variables from loadConfig", () => {
  for (const name of [
    "TIDINGS_DATA_DIR",
    "TIDINGS_DATABASE_URL",
    "TIDINGS_MASTER_KEY",
    "TIDINGS_ADMIN_KEY",
    "TIDINGS_ROLE",
    "TIDINGS_PROVIDER",
  ]) {
    expect(CONFIG).toContain(name);
  }
  expect(CONFIG).not.toContain("NODE_ENV");
});

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function dockerInstructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [op = "", ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

/** .dockerignore's patterns as a test of a path (the path or one of its folders matches). */
function dockerIgnored(patterns: string[], path: string): boolean {
  // `**/` is any folders (or none), `*` anything within one name; the rest is literal.
  const regexes = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .replace(/^\//, "")
          .split(/(\*\*\/|\*)/)
          .map((part) =>
            part === "**/" ? "(?:.*/)?" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"),
          )
          .join("")}$`,
      ),
  );
  const parts = path.split("/");
  return parts.some((_, i) => regexes.some((r) => r.test(parts.slice(0, i + 1).join("/"))));
}

describe("Dockerfile and .dockerignore", () => {
  const instructions = dockerInstructions(read("Dockerfile"));
  const final = instructions.slice(instructions.map((i) => i.op).lastIndexOf("FROM"));
  const env = Object.fromEntries(
    final
      .filter((i) => i.op === "ENV")
      .flatMap((i) => i.args.split(/\s+/))
      .map((pair) => pair.split("=") as [string, string]),
  );
  const ignore = read(".dockerignore")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  it("builds in stages and runs as a non-root user, with the data under a volume", () => {
    expect(instructions.filter((i) => i.op === "FROM").length).toBeGreaterThanOrEqual(2);
    const user = final.filter((i) => i.op === "USER").at(-1)?.args;
    expect(user).toBeDefined();
    expect(["root", "0", "0:0"]).not.toContain(user);
    const volume = final.find((i) => i.op === "VOLUME")?.args;
    expect(JSON.parse(volume!)).toEqual([env.TIDINGS_DATA_DIR]);
    expect(final.find((i) => i.op === "EXPOSE")?.args).toBe(env.TIDINGS_PORT);
    expect(instructions.some((i) => i.op === "RUN" && /\bnpm ci --omit=dev\b/.test(i.args))).toBe(true);
    // better-sqlite3's addon is built where the compilers are, never in the final stage.
    expect(instructions.some((i) => i.op === "RUN" && /npm rebuild better-sqlite3/.test(i.args))).toBe(true);
    expect(final.some((i) => i.op === "RUN" && /apt-get install|g\+\+/.test(i.args))).toBe(false);
  });

  it("sets only variables the configuration reads, with values it accepts", () => {
    expect(Object.keys(env).length).toBeGreaterThan(0);
    expect(unknown(Object.keys(env))).toEqual([]);
    expectValidValues(env);
  });

  it("copies files that exist and that .dockerignore lets through; keeps out local data and host builds", () => {
    const copies = instructions.filter((i) => i.op === "COPY" && !i.args.startsWith("--from"));
    const sources = copies.flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(join(REPO, source)), source).toBe(true);
      expect(dockerIgnored(ignore, source), `${source} is ignored`).toBe(false);
    }
    for (const secret of [
      ".tidings/master.key",
      "node_modules/x",
      "packages/server/dist/server.js",
      "packages/sdk/dist/index.js",
      "test-output/a.png",
    ]) {
      expect(dockerIgnored(ignore, secret), secret).toBe(true);
    }
  });

  it("copies the migrations' .sql files into the image, into src/ beside dist/, where the server reads them", () => {
    for (const driver of ["sqlite", "postgres"]) {
      const folder = `packages/server/src/store/${driver}/migrations/`;
      expect(readdirSync(join(REPO, folder)).filter((file) => file.endsWith(".sql")).length).toBeGreaterThan(0);
      const copies = instructions.filter((i) => i.op === "COPY" && i.args.split(/\s+/).at(-1) === folder);
      expect(
        copies.map((i) => i.args.split(/\s+/).at(-2)),
        folder,
      ).toEqual([`/app/${folder}*.sql`]);
    }
  });

  it("health-checks /healthz, and its command succeeds against a running server of either role", async () => {
    const check = final.find((i) => i.op === "HEALTHCHECK")!.args;
    const command = JSON.parse(check.slice(check.indexOf("CMD") + 3)) as string[];
    const paths = [...command.join(" ").matchAll(/'(\/[\w./-]*)'/g)].map((m) => m[1]);
    expect(paths).toEqual(["/healthz"]);
    for (const role of ["api", "worker"] as const) {
      expect(await answers(role, "/healthz")).toBe(200);
      const port = new URL(servers[role]!.url).port;
      expect(command[0]).toBe("node");
      // The image's own command, run as the image would, against this server's port.
      await expect(
        promisify(execFile)(process.execPath, command.slice(1), { env: { ...process.env, TIDINGS_PORT: port } }),
      ).resolves.toBeDefined();
    }
  });
});

describe("deploy/compose.yaml", () => {
  const compose = parse(read("deploy/compose.yaml"), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: { context: string };
        command?: string[];
        environment?: Record<string, string>;
        volumes?: string[];
      }
    >;
  };
  const tidings = Object.entries(compose.services).filter(([, s]) => s.command?.[0] === "serve");

  it("runs PostgreSQL and Tidings as --role api and --role worker, built from this repository", () => {
    expect(compose.services.postgres?.image).toMatch(/^postgres:/);
    expect(tidings.map(([, s]) => s.command!.slice(1))).toEqual([
      ["--role", "api"],
      ["--role", "worker"],
    ]);
    for (const [name, service] of tidings) {
      expect(existsSync(join(REPO, "deploy", service.build!.context, "Dockerfile")), name).toBe(true);
      expect(service.environment?.TIDINGS_DATABASE_URL, name).toMatch(/^postgres:\/\/.*@postgres:5432\//);
    }
  });

  it("gives both roles the same master key and the same data volume at the image's data dir", () => {
    const [[, api], [, worker]] = tidings as [[string, (typeof tidings)[0][1]], [string, (typeof tidings)[0][1]]];
    expect(api.environment?.TIDINGS_MASTER_KEY).toMatch(/^\$\{TIDINGS_MASTER_KEY:\?/);
    expect(worker.environment?.TIDINGS_MASTER_KEY).toBe(api.environment?.TIDINGS_MASTER_KEY);
    const dataDir = dockerInstructions(read("Dockerfile"))
      .find((i) => i.op === "ENV" && i.args.includes("TIDINGS_DATA_DIR="))!
      .args.match(/TIDINGS_DATA_DIR=(\S+)/)![1];
    expect(api.volumes).toEqual([`files:${dataDir}`]);
    expect(worker.volumes).toEqual(api.volumes);
  });

  it("sets only variables the configuration reads, with values it accepts", () => {
    for (const [name, service] of tidings) {
      expect(unknown(Object.keys(service.environment ?? {})), name).toEqual([]);
      expectValidValues(service.environment ?? {});
    }
  });
});

interface Container {
  args: string[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, any>;
  data?: Record<string, string>;
}

describe("deploy/helm/tidings", () => {
  const chart = new HelmChart(join(REPO, "deploy/helm/tidings"));
  const keys = {
    databaseUrl: "postgres://tidings:pw@db:5432/tidings",
    masterKey: `${"A".repeat(43)}=`,
    adminKey: "admin-0123456789",
  };
  const manifests = (values: Record<string, unknown>) =>
    chart
      .render(values)
      .flatMap(({ name, text }) => parseAllDocuments(text).map((doc) => ({ file: name, ...(doc.toJS() as Manifest) })))
      .filter((m) => m.kind !== undefined);
  const rendered = manifests(keys);
  const deployments = rendered.filter((m) => m.kind === "Deployment");
  const containerOf = (m: Manifest) => m.spec.template.spec.containers[0] as Container;
  const roleOf = (m: Manifest) =>
    containerOf(m).args.slice(containerOf(m).args.indexOf("--role") + 1)[0] as "api" | "worker";

  it("has a Deployment for each role, a Service for the API, a Secret with the keys and a PodDisruptionBudget", () => {
    expect(rendered.map((m) => m.kind).sort()).toEqual([
      "Deployment",
      "Deployment",
      "PodDisruptionBudget",
      "Secret",
      "Service",
    ]);
    expect(deployments.map(roleOf).sort()).toEqual(["api", "worker"]);
    const secret = rendered.find((m) => m.kind === "Secret")!;
    const decoded = Object.fromEntries(
      Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]),
    );
    expect(decoded).toEqual({
      TIDINGS_DATABASE_URL: keys.databaseUrl,
      TIDINGS_MASTER_KEY: keys.masterKey,
      TIDINGS_ADMIN_KEY: keys.adminKey,
    });
    const api = deployments.find((d) => roleOf(d) === "api")!;
    const podLabels = api.spec.template.metadata.labels as Record<string, string>;
    for (const selecting of rendered.filter((m) => m.kind === "PodDisruptionBudget" || m.kind === "Service")) {
      const selector = (selecting.spec.selector.matchLabels ?? selecting.spec.selector) as Record<string, string>;
      expect(
        Object.entries(selector).every(([k, v]) => podLabels[k] === v),
        selecting.kind,
      ).toBe(true);
    }
    expect(rendered.find((m) => m.kind === "PodDisruptionBudget")!.spec.minAvailable).toBe(1);
  });

  it("runs both roles as a non-root user, with the same keys from the Secret", () => {
    const secretName = rendered.find((m) => m.kind === "Secret")!.metadata.name;
    for (const deployment of deployments) {
      expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      const fromSecret = containerOf(deployment).env.filter((e) => e.valueFrom?.secretKeyRef !== undefined);
      expect(fromSecret.map((e) => [e.name, e.valueFrom!.secretKeyRef.name, e.valueFrom!.secretKeyRef.key])).toEqual([
        ["TIDINGS_DATABASE_URL", secretName, "TIDINGS_DATABASE_URL"],
        ["TIDINGS_MASTER_KEY", secretName, "TIDINGS_MASTER_KEY"],
        ["TIDINGS_ADMIN_KEY", secretName, "TIDINGS_ADMIN_KEY"],
      ]);
    }
  });

  it("sets only variables the configuration reads, extra ones included, with values it accepts", () => {
    const withExtra = manifests({
      ...keys,
      publicUrl: "https://tidings.example.com",
      extraEnv: [{ name: "TIDINGS_PROVIDER", value: "openai" }],
    });
    for (const deployment of withExtra.filter((m) => m.kind === "Deployment")) {
      const env = containerOf(deployment).env;
      expect(env.map((e) => e.name)).toContain("TIDINGS_PROVIDER");
      expect(unknown(env.map((e) => e.name))).toEqual([]);
      expectValidValues(
        Object.fromEntries(
          env.filter((e) => e.value !== undefined && e.name !== "TIDINGS_PROVIDER").map((e) => [e.name, e.value!]),
        ),
      );
    }
    const secret = withExtra.find((m) => m.kind === "Secret")!;
    expect(unknown(Object.keys(secret.data!))).toEqual([]);
  });

  it("probes paths that a server of the Deployment's role answers", async () => {
    for (const deployment of deployments) {
      const role = roleOf(deployment);
      const container = containerOf(deployment);
      for (const path of [container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path]) {
        expect(await answers(role, path), `${role} ${path}`).toBe(200);
      }
    }
    expect(deployments.map((d) => containerOf(d).livenessProbe.httpGet.path)).toEqual(["/healthz", "/healthz"]);
  });

  it("asks for the keys it cannot start without, and takes them from an existing Secret instead", () => {
    expect(() => chart.render({ databaseUrl: keys.databaseUrl })).toThrow(/masterKey is required/);
    expect(() => chart.render({ masterKey: keys.masterKey })).toThrow(/databaseUrl is required/);
    const external = manifests({ existingSecret: "tidings-keys-managed" });
    expect(external.some((m) => m.kind === "Secret")).toBe(false);
    for (const deployment of external.filter((m) => m.kind === "Deployment")) {
      expect(new Set(containerOf(deployment).env.flatMap((e) => e.valueFrom?.secretKeyRef.name ?? []))).toEqual(
        new Set(["tidings-keys-managed"]),
      );
    }
  });
});

describe("deploy/systemd", () => {
  /** A unit file's assignments, by section: `Environment=` may repeat and hold several `NAME=value` words. */
  const unit: [string, string, string][] = [];
  let section = "";
  for (const raw of read("deploy/systemd/tidings.service").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) section = header[1] as string;
    else unit.push([section, line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]);
  }
  const service = (key: string) =>
    unit.filter(([section, k]) => section === "Service" && k === key).map(([, , v]) => v);

  it("runs `tidings serve` as its own unprivileged user, restarting on failure", () => {
    expect(service("ExecStart")[0]).toMatch(/\/packages\/server\/dist\/cli\/main\.js serve$/);
    expect(service("User")[0]).toBe("tidings");
    expect(service("Restart")[0]).toBe("on-failure");
    expect(service("StateDirectory")[0]).toBe("tidings");
    expect(service("KillSignal")[0]).toBe("SIGTERM");
  });

  it("sets only variables the configuration reads, in the unit and in its example environment file", () => {
    const inUnit = Object.fromEntries(
      service("Environment").flatMap((v) =>
        v.split(/\s+/).map((pair) => pair.replace(/^"|"$/g, "").split("=") as [string, string]),
      ),
    );
    expect(inUnit.TIDINGS_DATA_DIR).toBe(`/var/lib/${service("StateDirectory")[0]}`);
    expect(unknown(Object.keys(inUnit))).toEqual([]);
    expectValidValues(inUnit);
    expect(service("EnvironmentFile")).toEqual(["-/etc/tidings/tidings.env"]);
    const example = read("deploy/systemd/tidings.env.example")
      .split("\n")
      .map((l) => l.replace(/^#(?=TIDINGS_)/, "").trim())
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split("=")[0] as string);
    expect(example.length).toBeGreaterThan(2);
    expect(unknown(example)).toEqual([]);
  });
});
