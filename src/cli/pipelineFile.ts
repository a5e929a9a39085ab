// The pipeline file a command works on: the one given, else flow.yml in the working folder. When no file
// was given, flow.yml is not here and other pipeline files are (a flowctl user's is often pipeline.yaml),
// the error names them and the command to type, instead of a bare "not found".
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPipelineDocument } from '../core/pipeline/load';
import { sanitizeField } from '../core/text/terminal';

export const DEFAULT_PIPELINE_FILE = 'flow.yml';
/** Bounds of the look around: YAML files of the folder read (by name order), bytes read of each, names shown. */
const MAX_FILES_READ = 50;
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_NAMED = 5;

/** `given`, else flow.yml; throws when flow.yml is missing but the folder has other pipeline files. */
export function pipelineFileArg(command: string, given: string | undefined, dir = process.cwd()): string {
  if (given !== undefined) return given;
  if (fs.existsSync(path.join(dir, DEFAULT_PIPELINE_FILE))) return DEFAULT_PIPELINE_FILE;
  const here = pipelineFilesIn(dir);
  // None here: the command reports the missing flow.yml as it always has.
  if (here.length === 0) return DEFAULT_PIPELINE_FILE;
  const shown = here.slice(0, MAX_NAMED).map(shellWord);
  const more = here.length > MAX_NAMED ? ` and ${here.length - MAX_NAMED} more` : '';
  const which = here.length === 1 ? `this folder has a pipeline file: ${shown[0]}` : `this folder has pipeline files: ${shown.join(', ')}${more}`;
  throw new Error(`pipeline file not found: ${DEFAULT_PIPELINE_FILE} (the default when no file is given)\n${which}\nrun: flowctl ${command} ${shown[0]}`);
}

/** YAML files of `dir` (not below it) that are pipelines by the editor's test (isPipelineDocument), sorted by name. */
export function pipelineFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/i.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
  return names.slice(0, MAX_FILES_READ).filter((name) => isPipelineDocument(head(path.join(dir, name)), name));
}

/** The first MAX_HEAD_BYTES of a regular file ('' for anything else: a FIFO must not block, a folder not throw). */
function head(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    if (!fs.fstatSync(fd).isFile()) return '';
    const buf = Buffer.alloc(MAX_HEAD_BYTES);
    const n = fs.readSync(fd, buf, 0, MAX_HEAD_BYTES, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A file name as a shell word: as it is when plain, else single-quoted; never a control sequence. */
function shellWord(name: string): string {
  const clean = sanitizeField(name, 200);
  return /^[\w.@%+=:,/-]+$/.test(clean) ? clean : `'${clean.replace(/'/g, `'\\''`)}'`;
}
