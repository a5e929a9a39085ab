// The demo pipeline (examples/demo) copied into a temp folder with its component paths made
// absolute, so a test host can open it as its workspace without touching the repository.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './host';

export function demoWorkspace(prefix: string): { dir: string; file: string; ids: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const text = fs.readFileSync(path.join(REPO_ROOT, 'examples', 'demo', 'flow.yml'), 'utf8').replaceAll('../../dist/', `${path.join(REPO_ROOT, 'dist')}/`);
  const file = path.join(dir, 'flow.yml');
  fs.writeFileSync(file, text);
  return { dir, file, ids: ['ticker', 'enrich', 'jsonl-sink', 'counter-sink'] };
}
