// `dist/cli.js`: loads the CLI bundle (`dist/cli-main.js`, built from main.ts) with a V8 code cache
// (src/core/codeCache.ts), so that V8 does not compile the 2.4 MB bundle and the functions a command runs
// again at every start: `flowctl --version` took 273 → 181 ms here (median of 15), every command saves
// about as much. One cache per command, and one for everything else (a typo cannot make a new cache file).
// Only Node built-ins, core/codeCache.ts and core/paths.ts are used here: this file must stay small.
import * as path from 'node:path';
import { COMMAND_NAMES } from './commandNames';
import { runWithCodeCache } from '../core/codeCache';

const name = process.argv[2] ?? '';
const command = (COMMAND_NAMES as readonly string[]).includes(name) ? name : 'other';
runWithCodeCache(path.join(__dirname, 'cli-main.js'), `cli-${command}`);
