// The launcher of a component bundle: `dist/examples/…/<name>.js` is this file, and it runs the
// component's bundle `<name>.main.js` beside it with a V8 code cache (src/core/codeCache.ts), kept per
// bundle under FLOWCTL_HOME/cache. Each demo component then starts with ~15 ms less CPU (V8 need not
// compile the 1 MB bundle and the functions it ran last time); four of them start at once on a run's
// start, so the demo reaches "running" ~40 ms sooner here (docs/performance.md). The component sees the
// same argv, environment and working directory as when its bundle is run directly, which also works.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { runWithCodeCache } from '../core/codeCache';

const bundle = __filename.replace(/\.js$/, '.main.js');
// The name says which bundle (readable) and where it is (two projects may both have a `source.main.js`).
const base = path.basename(bundle, '.main.js').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
const where = crypto.createHash('sha256').update(path.resolve(bundle)).digest('hex').slice(0, 8);
runWithCodeCache(bundle, `component-${base}-${where}`);
