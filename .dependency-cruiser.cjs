/**
 * The layering README's "Layout" describes, checked by `npm test` (npm run lint): the core decides and
 * imports no adapter; store drivers run SQL and import no service; the HTTP adapter and the dashboard are
 * siblings that reach the database only through services, as the workers do; nothing but the composition
 * root wires the process together.
 */
const SRC = "^packages/server/src";
const adapters = ["store", "services", "delivery", "http", "dashboard", "web", "cli", "boot", "providers", "files", "net", "signing", "crypto", "workers", "observability", "runtime"];

module.exports = {
  forbidden: [
    {
      name: "core-imports-no-adapter",
      comment: "core/ is plain types and pure functions: it may not depend on any adapter, nor on Node's I/O.",
      severity: "error",
      from: { path: `${SRC}/core/` },
      to: { path: [`${SRC}/(${adapters.join("|")})/`, `${SRC}/[^/]+\\.ts$`] },
    },
    {
      name: "core-does-no-io",
      comment: "core/ may use node:crypto for ids and hashes, nothing that touches files, sockets or processes.",
      severity: "error",
      from: { path: `${SRC}/core/` },
      to: { dependencyTypes: ["core"], pathNot: "^(node:)?crypto$" },
    },
    {
      name: "drivers-run-sql-only",
      comment: "store/ holds the contract and the drivers: it may use core types, never the layers above it.",
      severity: "error",
      from: { path: `${SRC}/store/` },
      to: { path: `${SRC}/(services|delivery|http|dashboard|web|cli|boot|providers|workers|signing|observability)/` },
    },
    {
      name: "drivers-stay-apart",
      comment: "The SQLite and PostgreSQL drivers share the contract and the row mappers, not each other.",
      severity: "error",
      from: { path: `${SRC}/store/(sqlite|postgres)/` },
      to: { path: `${SRC}/store/(sqlite|postgres)/`, pathNot: `${SRC}/store/$1/` },
    },
    {
      name: "only-open-knows-the-drivers",
      comment: "Outside store/, a driver is reached through store/open.ts and the Store interface.",
      severity: "error",
      from: { path: SRC, pathNot: [`${SRC}/store/`] },
      to: { path: `${SRC}/store/(sqlite|postgres)/` },
    },
    {
      name: "http-goes-through-services",
      comment: "The HTTP adapter and the dashboard reach the database through services, never a driver or a worker.",
      severity: "error",
      from: { path: `${SRC}/(http|dashboard)/` },
      to: { path: `${SRC}/(store/(sqlite|postgres)|workers|boot)/` },
    },
    {
      name: "workers-go-through-services",
      comment:
        "A leased kind has one owner, its service: workers claim, renew, record, expire and finish through it, never through the store.",
      severity: "error",
      from: { path: `${SRC}/workers/` },
      to: { path: `${SRC}/store/` },
    },
    {
      name: "http-and-dashboard-are-siblings",
      comment: "The API and the dashboard stand side by side over the services (boot/ mounts both): what they share lives in web/.",
      severity: "error",
      from: { path: `${SRC}/(http|dashboard)/` },
      to: { path: `${SRC}/(http|dashboard)/`, pathNot: `${SRC}/$1/` },
    },
    {
      name: "web-serves-both",
      comment: "web/ holds what the API and the dashboard both use: it may import neither.",
      severity: "error",
      from: { path: `${SRC}/web/` },
      to: { path: `${SRC}/(http|dashboard|boot|workers)/` },
    },
    {
      name: "services-know-no-transport",
      comment: "Services are called by HTTP, the CLI and workers alike: they do not know any of them.",
      severity: "error",
      from: { path: `${SRC}/services/` },
      to: { path: `${SRC}/(http|dashboard|web|cli|boot|workers)/` },
    },
    {
      name: "only-the-root-wires",
      comment: "boot/ is the composition root's: only server.ts and the CLI start a process from it.",
      severity: "error",
      from: { path: SRC, pathNot: [`${SRC}/boot/`, `${SRC}/server\\.ts$`, `${SRC}/cli/`] },
      to: { path: `${SRC}/boot/` },
    },
    {
      name: "sdk-stands-alone",
      comment: "@tidings/sdk is published on its own: it may not import the server.",
      severity: "error",
      from: { path: "^packages/sdk/src" },
      to: { path: "^packages/server" },
    },
    {
      name: "no-circular",
      comment: "A cycle means two modules are one; untangle it.",
      severity: "error",
      from: { path: "^packages/[^/]+/src" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "types", "default"] },
  },
};
