import * as fs from 'node:fs';
import * as path from 'node:path';

/** The nearest folder at or above `from` whose package.json is this project's (flowctl-vscode). */
export function findRepoRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'flowctl-vscode') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no flowctl-vscode package.json at or above ${from}`);
  }
}
