# arkime-kafka-indexer as a container: build with the dev tools, run with the production
# dependencies only, as the image's unprivileged `node` user.
#   docker build -t arkime-kafka-indexer .
#   docker run --rm -e KAFKA_CONSUMER_TOPIC=arkime-json -e KAFKA_CONSUMER_GROUP_NAME=arkime-indexer \
#     -e KAFKA_CONSUMER_BROKERS=kafka:9092 -e ELASTIC_SERVICE=opensearch arkime-kafka-indexer
# Node 26 is the Active LTS line (2026-10 to 2027-10); every stage uses the same image.

FROM node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the only one is the devDependency `node`'s, which fetches the Node.js 22
# binary that the repository's own tests run on; the image builds and runs on its own Node.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# Only the service: the repository's tsconfig also compiles tests, benchmarks and scripts.
RUN echo '{ "extends": "./tsconfig.json", "include": ["src"] }' > tsconfig.image.json \
 && node node_modules/typescript/bin/tsc -p tsconfig.image.json

FROM node:26-trixie-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:26-trixie-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json LICENSE ./
USER node
EXPOSE 8080
# The image has no curl: node's own fetch asks the metrics server, on whatever PORT is set, at
# LISTEN_ADDRESS when that names one address (127.0.0.1 when it is empty or every interface).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const a = (process.env.LISTEN_ADDRESS || '').trim(); const h = ['', '0.0.0.0', '::', '[::]'].includes(a) ? '127.0.0.1' : a.includes(':') && !a.startsWith('[') ? `[${a}]` : a; fetch(`http://${h}:${process.env.PORT || 8080}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node as PID 1 receives SIGTERM itself; the indexer drains and commits within 25 s, so give
# `docker stop` more than its default 10 s (docker stop -t 30, or stop_grace_period in compose).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli.js"]
