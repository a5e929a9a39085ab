// esbuild plugin: the bundled grpc-js asks Node's IPv6 regular expression about a host only when the host
// holds a ':'. grpc-js calls net.isIPv6(host) for every address it binds or dials, "127.0.0.1" included, and
// the first call in a process compiles that large regular expression: 8.9-10.2 ms of CPU (a lone `node`, the
// first net.isIPv6('127.0.0.1'), 5 runs), paid on the way to every component's registration and by the CLI
// before its first spawn. A textual IPv6 address always holds a ':', so the answers are the same. Nothing
// global changes: net.isIPv6 itself is untouched (the extension host shares it with other extensions).
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CALL = '(0, net_1.isIPv6)(';
export const FAST = '__flowctlMaybeIPv6(';
export const HELPER = `\nfunction __flowctlMaybeIPv6(s) { return typeof s === 'string' && s.includes(':') && (0, net_1.isIPv6)(s); }\n`;

/** grpc-js's compiled source with its isIPv6 calls routed through the helper (unchanged when it has none). */
export function withFastIPv6(text) {
  if (!text.includes(CALL)) return text;
  return text.split(CALL).join(FAST) + HELPER;
}

export function grpcIPv6FastPathPlugin() {
  return {
    name: 'grpc-ipv6-fast-path',
    setup(build) {
      build.onLoad({ filter: /[\\/]@grpc[\\/]grpc-js[\\/]build[\\/]src[\\/][^\\/]+\.js$/ }, async (args) => {
        const text = await fs.promises.readFile(args.path, 'utf8');
        if (!text.includes(CALL)) return undefined; // loaded as usual
        return { contents: withFastIPv6(text), loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}
