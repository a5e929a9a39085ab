// `flowctl-protos:<set>`: .proto files parsed at build time (scripts/protoSets.mjs, an esbuild plugin).
declare module 'flowctl-protos:*' {
  const set: import('./protoEmbed').EmbeddedProtoSet;
  export = set;
}
