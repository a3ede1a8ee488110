# syntax=docker/dockerfile:1
# Lastbite: one image for the API, the bot, the Mini App and the workers.
#   docker build -t lastbite .
#   docker run -p 8080:8080 -e BOT_TOKEN=… -e DATABASE_URL=postgres://… -e PUBLIC_URL=https://… lastbite
# Without DATABASE_URL it runs on the embedded database in /data (mount a volume there).
# Node 20 is what the project is developed and tested on.
ARG NODE_IMAGE=node:20-bookworm-slim

# ── build: every dependency (Vite is a dev dependency), then the Mini App ──────────────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/telegram-double/package.json packages/telegram-double/
COPY packages/server/package.json packages/server/
COPY packages/miniapp/package.json packages/miniapp/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY packages/shared packages/shared
COPY packages/miniapp packages/miniapp
RUN npm run build -w @lastbite/miniapp

# ── runtime: production dependencies, the TypeScript sources, the built Mini App ──────────────
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/data
WORKDIR /app
# Every workspace's package.json, so that `npm ci` sees the same tree as the lockfile; dev
# dependencies (Vite, Vitest, TypeScript, Biome…) are left out. The server runs its TypeScript
# through tsx, which is therefore one of the server's dependencies.
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/telegram-double/package.json packages/telegram-double/
COPY packages/server/package.json packages/server/
COPY packages/miniapp/package.json packages/miniapp/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY packages/shared/src packages/shared/src
COPY packages/telegram-double/src packages/telegram-double/src
COPY packages/server/src packages/server/src
COPY --from=build /app/packages/miniapp/dist packages/miniapp/dist
# The code stays root's and read-only; only the embedded database's directory is the app's.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
# /health answers once migrations ran and the workers started (PGlite may take a while to open).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1: the server handles SIGTERM (ends event streams, finishes in-flight work).
# The flags are scripts/server-node-args.mjs's (a larger young generation: see there), by hand:
# packages/server/test/deploy.test.ts fails if they differ.
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "packages/server/src/main.ts"]
