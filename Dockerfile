# syntax=docker/dockerfile:1
# Tidings in a container: `docker build -t tidings .`, then
#   docker run -p 8080:8080 -v tidings-data:/data tidings            (SQLite and master.key in the volume)
# or with PostgreSQL and separate API and worker processes: deploy/compose.yaml.
ARG NODE_VERSION=20

# The manifests alone first, so a change to the sources does not redo the installs. better-sqlite3 is a
# native addon: its install fetches a prebuilt binary for this Node and libc, else compiles with node-gyp,
# which needs python3, make and g++ (here, never in the final image).
FROM node:${NODE_VERSION}-bookworm-slim AS toolchain
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/package.json
COPY packages/server/package.json packages/server/package.json

# Compiles the TypeScript of both workspaces with the dev dependencies (scripts off: the root `prepare`
# would build before the sources are here, and nothing else needs its install script to compile).
FROM toolchain AS build
RUN npm ci --ignore-scripts
COPY tsconfig.base.json tsconfig.json ./
COPY packages/sdk/tsconfig.json packages/sdk/tsconfig.json
COPY packages/sdk/src packages/sdk/src
COPY packages/server/tsconfig.json packages/server/tsconfig.json
COPY packages/server/src packages/server/src
RUN npx tsc -b

# What runs: production dependencies only, with better-sqlite3's addon built for this image, and the build.
FROM toolchain AS runtime-files
RUN npm ci --omit=dev --ignore-scripts \
  && npm rebuild better-sqlite3 \
  && npm cache clean --force
COPY --from=build /app/packages/sdk/dist packages/sdk/dist
COPY --from=build /app/packages/server/dist packages/server/dist
# The migrations are .sql files, which tsc does not copy into dist/: the server reads them from src/
# (docs/store.md: migrations).
COPY --from=build /app/packages/server/src/store/sqlite/migrations/*.sql packages/server/src/store/sqlite/migrations/
COPY --from=build /app/packages/server/src/store/postgres/migrations/*.sql packages/server/src/store/postgres/migrations/
COPY packages/server/bin packages/server/bin
COPY LICENSE ./

FROM node:${NODE_VERSION}-bookworm-slim
WORKDIR /app
COPY --from=runtime-files /app /app
# The data directory (SQLite, master.key, the Files API's bytes) belongs to the unprivileged user that runs
# the server; VOLUME keeps it out of the container's writable layer.
RUN mkdir -p /data && chown node:node /data
USER node
ENV TIDINGS_HOST=0.0.0.0 \
    TIDINGS_PORT=8080 \
    TIDINGS_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
# Liveness: /healthz answers while the process runs, on every role (worker-only processes too). Node's own
# fetch, since the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TIDINGS_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "packages/server/dist/cli/main.js"]
CMD ["serve"]
