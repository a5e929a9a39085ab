// `flowctl version`: like flowctl's, with the Node runtime in place of Go's.
import { version } from '../../../package.json';
import { defineCommand } from '../command';

declare const __FLOWCTL_COMMIT__: string | undefined;
declare const __FLOWCTL_BUILT__: string | undefined;

export const command = defineCommand({
  summary: 'Print the version',
  usage: 'flowctl version',
  flags: {},
  async run() {
    const commit = typeof __FLOWCTL_COMMIT__ === 'string' ? __FLOWCTL_COMMIT__ : 'unknown';
    const built = typeof __FLOWCTL_BUILT__ === 'string' ? __FLOWCTL_BUILT__ : 'unknown';
    process.stdout.write(
      `flowctl version ${version}\n  commit: ${commit}\n  built: ${built}\n  node: ${process.version}\n  os/arch: ${process.platform}/${process.arch}\n`,
    );
    return 0;
  },
});
