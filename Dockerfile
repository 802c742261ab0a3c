# Needs BuildKit (Docker's default builder since 23.0) for the npm cache mount.
#
# One image for all four DingoSpeed services; the command picks the app:
#   gateway (default)  node dist/apps/gateway/src/main.js      :8090
#   mirror-edge        node dist/apps/mirror-edge/src/main.js  :8091
#   metadata           node dist/apps/metadata/src/main.js     :8092
#   sync-worker        node dist/apps/sync-worker/src/main.js  :8093
# The sources are compiled by scripts/build.js (SWC, what `npm start` runs first), so the
# runtime image holds plain JavaScript and production node_modules, and no compiler runs in it.
# See deploy/README.md.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- console: the web console's bundle (apps/console). Vite is a dev dependency, so it is built
# here with the full install and only its output (static files) goes on.
FROM ${NODE_IMAGE} AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund --ignore-scripts
COPY apps/console ./apps/console
RUN node node_modules/vite/bin/vite.js build --config apps/console/vite.config.mjs

# --- deps: production node_modules; toolchain only here (better-sqlite3 may compile from source).
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# @swc/core (the build's compiler) is not dev-only in the lockfile, so --omit=dev keeps what
# the build and the runtime need and drops nx, jest, eslint, s3rver...
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"
COPY tsconfig.base.json .swcrc ./
COPY scripts/build.js ./scripts/build.js
COPY libs ./libs
COPY apps ./apps
# Without Vite here, scripts/build.js keeps this bundle (served at /console).
COPY --from=console /app/dist/console ./dist/console
RUN node scripts/build.js

# --- runtime: no compiler, non-root, code owned by root (read-only to the service user).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DINGO_HOST=0.0.0.0 \
    DINGO_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY --from=deps /app/dist ./dist
# The base image's `node` user (uid/gid 1000) owns only the data directory.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8090 8091 8092 8093
# Every service answers /health on DINGO_PORT (terminus: 200 healthy, 503 otherwise). Slim images
# have no curl, so node's fetch does the probe; compose and Kubernetes set their own probes too.
HEALTHCHECK --interval=15s --timeout=6s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.DINGO_PORT||8090)+'/health',{signal:AbortSignal.timeout(5000)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
CMD ["node", "dist/apps/gateway/src/main.js"]
