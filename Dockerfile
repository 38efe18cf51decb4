# syntax=docker/dockerfile:1
# DataHub: one image for every service; DATAHUB_TARGET picks what a container runs
# (edge | auth | ratelimit | audit | webhooks | all, or a comma list). See docs/operations.md.
#
# DataHub runs its TypeScript through tsx at run time (no build step), so tsx and esbuild are
# production dependencies of @datahub/cli and `npm ci --omit=dev` keeps them.
#
# The base is pinned to the Node.js patch release CI tests with. For reproducible production
# builds pin the digest too: docker build --build-arg NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:…
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

# --- production node_modules only: the manifests first so this layer is cached across code edits
FROM base AS deps
COPY package.json package-lock.json ./
COPY packages/proto/package.json packages/proto/
COPY packages/runtime/package.json packages/runtime/
COPY packages/client/package.json packages/client/
COPY packages/console/package.json packages/console/
COPY packages/cli/package.json packages/cli/
COPY services/auth/package.json services/auth/
COPY services/ratelimit/package.json services/ratelimit/
COPY services/audit/package.json services/audit/
COPY services/webhooks/package.json services/webhooks/
COPY services/edge/package.json services/edge/
# No dependency needs an install script (esbuild's binary comes from its optional platform package).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

# --- the admin console's static files (docs/console.md): Vite and Preact exist only in this stage;
# the runtime gets packages/console/dist, which the edge serves from memory.
FROM deps AS console
RUN --mount=type=cache,target=/root/.npm \
    npm ci --include=dev --ignore-scripts --no-audit --no-fund --loglevel=error
COPY packages/client ./packages/client
COPY packages/console ./packages/console
RUN npm run build --silent -w @datahub/console

# --- tini as PID 1: forwards SIGTERM to node and reaps zombies. The static build is copied so the
# runtime stage needs neither apt nor its lists.
FROM base AS tini
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

# --- runtime
FROM base AS runtime
# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it (and securityContexts can name it).
RUN groupadd --system --gid 10001 datahub \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin datahub
COPY --from=tini /usr/bin/tini-static /usr/bin/tini
COPY --from=deps /app /app
# The code stays owned by root: the service user can read it but never rewrite it.
COPY tsconfig.json ./
COPY proto ./proto
COPY packages ./packages
COPY services ./services
COPY --from=console /app/packages/console/dist ./packages/console/dist

USER 10001:10001
# edge HTTP, internal gRPC (every service), ops (/metrics, /healthz, /readyz) — docs/reference/configuration.md.
EXPOSE 8080 50051 9464
ENV DATAHUB_TARGET=all
# V8's young generation at 64 MiB semi-spaces instead of Node's 16: fewer scavenges, so fewer
# in-flight requests' objects are copied and promoted. It cut the all-in-one process's CPU per
# request by about 8 % for about 100 MiB more RSS (docs/architecture.md, "Measured choices").
# Manifests that set their own NODE_OPTIONS repeat it where it pays (deploy/k8s/base/edge.yaml).
ENV NODE_OPTIONS=--max-semi-space-size=64
# Docker/compose only; Kubernetes uses its own probes (deploy/k8s). /readyz is 503 while a
# dependency is down or the process drains.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.DATAHUB_METRICS_PORT||9464)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/packages/cli/bin/datahub.js"]
CMD ["start"]
