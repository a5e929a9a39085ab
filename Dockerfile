# The flowctl CLI as an image: the hub of a deployed pipeline (`flowctl run --components external`,
# what `flowctl translate -o compose|swarm|kubernetes` starts) and every other flowctl command. It also
# carries the demo components (dist/examples/demo/components), so the demo pipeline deploys with it alone.
#
# Build it with `npm run image` (scripts/image.mjs): that bundles the CLI and stages this build context in
# .cache/image/ (app/ = the bundled CLI, the .proto files and the few packages the bundle loads at run
# time: lmdb, @grpc/reflection, grpc-health-check and what they need). No RUN step: the base image only
# needs `node` (tests pass a minimal local base with --base; nothing is pulled there).
ARG BASE_IMAGE=node:20-slim
FROM ${BASE_IMAGE}
COPY app/ /opt/flowctl/
# State (endpoint file, run logs) goes to /tmp: the root file system may be read-only (Kubernetes).
ENV FLOWCTL_HOME=/tmp/flowctl HOME=/tmp NODE_ENV=production
WORKDIR /tmp
# Not root; numeric, so it works on bases without a passwd entry for it.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "/opt/flowctl/dist/cli.js"]
CMD ["--help"]
LABEL org.opencontainers.image.title="flowctl" \
      org.opencontainers.image.description="flowctl CLI: runs flowctl/v1 pipelines; the hub of deployed pipelines" \
      org.opencontainers.image.licenses="Apache-2.0"
