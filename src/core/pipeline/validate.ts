// Everything wrong or suspicious in a pipeline, all at once, each with its place in the file.
// flowctl's own checks (loader and `flowctl validate`) keep flowctl's wording; ours are added.
import { DiagnosticBag, type Diagnostic, type Fix } from './diagnostics';
import { insertAt, replaceWith, yamlScalar } from './edits';
import { buildGraph, formatCycle } from './graph';
import { MAX_LISTED_IDS } from './limits';
import { NAME_RULE, nameProblem, showValue, suggestName } from './names';
import { closestMatches } from './suggest';
import {
  allComponents,
  isRegistryReference,
  locAt,
  SECTION_OF_ROLE,
  type ComponentSpec,
  type FieldLoc,
  type Pipeline,
  type Range,
  type Role,
} from './model';
import { findCommand } from './commands';
import { modeOf, selectDrivers } from '../drivers/select';
import { debugKeyProblems } from '../debug/spec';
import { DRIVERS, PORT_PROTOCOLS, RESTART_POLICIES } from './shape';

export interface ValidateOptions {
  /** Look up command[0] on PATH / relative to the pipeline folder (default true). */
  checkCommands?: boolean;
  /** Folder a relative pipeline path is resolved against (default process.cwd()). */
  cwd?: string;
  /** Environment for the PATH lookup (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * How components will be started, as `flowctl run --orchestrator` says: process (or local) and
   * docker (or container). Undefined: `spec.driver` decides (drivers/select.ts). Whether an engine is
   * reachable is not checked here: that belongs to the run's preflight.
   */
  orchestrator?: string;
  /** Network of container components (host unless `flowctl run --network bridge`): decides the ports findings. */
  network?: 'host' | 'bridge';
  /**
   * Apply this machine's drivers' rules (drivers/select.ts: what a local container or process needs).
   * Default true; false for `flowctl translate` and the hub, where an orchestrator runs the components
   * (named volumes, for instance, are fine there).
   */
  driverRules?: boolean;
}

/**
 * Findings of the driver selection that validation already makes in its own words: a process
 * component's volumes (volumes-ignored here) and a component with nothing to run (no-runnable,
 * type-only, registry here, and the runner's start-up message).
 */
const SELECTION_DUPLICATES = new Set(['volumes-process', 'nothing-to-run']);

const KNOWN_API_VERSIONS = ['flowctl/v1', 'v1'];
const ORIGIN: Range = { line: 1, column: 1, endLine: 1, endColumn: 1 };

const capital = (r: Role) => r[0].toUpperCase() + r.slice(1);

/** Validates an already-built model; returns the diagnostics (file named as `pipeline.file`). */
export function validatePipeline(pipeline: Pipeline, opts?: ValidateOptions & { file?: string }): Diagnostic[];
/** Adds the diagnostics to an existing bag (used by the loader). */
export function validatePipeline(pipeline: Pipeline, bag: DiagnosticBag, opts?: ValidateOptions, text?: string): Diagnostic[];
export function validatePipeline(
  pipeline: Pipeline,
  bagOrOpts?: DiagnosticBag | (ValidateOptions & { file?: string }),
  maybeOpts?: ValidateOptions,
  text?: string,
): Diagnostic[] {
  const bag = bagOrOpts instanceof DiagnosticBag ? bagOrOpts : new DiagnosticBag(bagOrOpts?.file ?? pipeline.file);
  const opts = (bagOrOpts instanceof DiagnosticBag ? maybeOpts : bagOrOpts) ?? {};
  new Checker(pipeline, bag, opts, text).run();
  return bag.items;
}

const RESTART_SYNONYMS: Record<string, string> = { never: 'no', none: 'no', false: 'no', onfailure: 'on-failure', 'on-error': 'on-failure', unlessstopped: 'unless-stopped', true: 'always' };
const DRIVER_SYNONYMS: Record<string, string> = { processes: 'process', containers: 'container', podman: 'container', kube: 'kubernetes' };

/** `a, b, c` with at most MAX_LISTED_IDS names, then `… and N more`. */
function listIds(ids: readonly string[]): string {
  if (ids.length <= MAX_LISTED_IDS) return ids.join(', ');
  return `${ids.slice(0, MAX_LISTED_IDS).join(', ')} … and ${ids.length - MAX_LISTED_IDS} more`;
}

class Checker {
  private readonly all: ComponentSpec[];
  private readonly lines?: string[];
  constructor(
    private readonly p: Pipeline,
    private readonly bag: DiagnosticBag,
    private readonly opts: ValidateOptions,
    text?: string,
  ) {
    this.all = allComponents(p);
    if (text !== undefined) this.lines = text.split('\n');
  }

  run(): void {
    this.checkHeader();
    this.checkComponents();
    this.checkReferences();
    this.checkEventTypes();
    this.checkCycles();
    this.checkPorts();
    this.checkShape();
    if (this.opts.driverRules !== false) this.checkDrivers();
  }

  /** How each component runs (process or container) and what that needs: the drivers' own rules (select.ts). */
  private checkDrivers(): void {
    for (const d of selectDrivers(this.p, { orchestrator: this.opts.orchestrator, network: this.opts.network }).diagnostics) {
      if (SELECTION_DUPLICATES.has(d.code)) continue;
      // An unknown spec.driver is already an error here ('driver').
      if (d.code === 'driver-unsupported' && !(DRIVERS as readonly string[]).includes(this.p.spec.driver ?? '')) continue;
      const at = { line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn };
      this.bag.add(d.severity, { message: d.message, code: d.code, at, field: d.field, fix: d.fix, hint: d.hint, fixes: d.fixes });
    }
  }

  // ---- fixes --------------------------------------------------------------------------------

  /** A fix that adds `content` as a new line after line `n` (1-based); undefined without the text. */
  private insertLineAfter(n: number, content: string, title: string, preferred = false): Fix | undefined {
    if (!this.lines) return undefined;
    if (n < this.lines.length) return insertAt({ line: n + 1, column: 1 }, `${content}\n`, title, preferred);
    const last = this.lines[n - 1] ?? '';
    return insertAt({ line: n, column: last.length + 1 }, `\n${content}`, title, preferred);
  }

  /** Replacements of the scalar at `loc` by each candidate, in its quote style; the first is preferred when it is the only close one. */
  private replaceFixes(loc: FieldLoc | undefined, candidates: string[], preferFirst: boolean): Fix[] {
    if (!loc) return [];
    return candidates.map((c, i) => {
      const text = yamlScalar(c, loc.quote);
      return replaceWith(loc.value, text, `Change to ${text}`, preferFirst && i === 0);
    });
  }

  /** Fixes for an unknown id in inputs/depends_on: the close ids (did you mean), or every id when there are few. */
  private idFixes(loc: FieldLoc | undefined, typed: string, ids: string[]): Fix[] {
    const close = closestMatches(typed, ids);
    if (close.length > 0) return this.replaceFixes(loc, close, true);
    return ids.length <= 5 ? this.replaceFixes(loc, ids, false) : [];
  }

  // ---- places -------------------------------------------------------------------------------

  /** Start of the file's first key, for things missing at the top level. */
  private rootHead(): Range {
    const first = Object.values(this.p.loc.entries ?? {})[0];
    return first?.key ?? this.p.loc.value ?? ORIGIN;
  }

  private top(...path: string[]): FieldLoc | undefined {
    return locAt(this.p.loc, ...path);
  }

  /** From the item's start to the end of its first key: the `- id:` line. */
  private head(c: ComponentSpec): Range {
    const first = Object.values(c.loc.entries ?? {})[0]?.key;
    if (first && first.line === c.range.line) return { ...c.range, endLine: first.endLine, endColumn: first.endColumn };
    return { ...c.range, endLine: c.range.line, endColumn: c.range.column + 1 };
  }

  /** The value at path, or the closest located ancestor (e.g. `inputs: foo` for inputs[0]). */
  private valueAt(c: ComponentSpec, ...path: (string | number)[]): Range {
    for (let n = path.length; n > 0; n--) {
      const loc = locAt(c.loc, ...path.slice(0, n));
      if (loc) return loc.value;
    }
    return this.head(c);
  }

  private keyAt(c: ComponentSpec, key: string): Range {
    return locAt(c.loc, key)?.key ?? this.head(c);
  }

  private field(c: ComponentSpec, ...rest: (string | number)[]): string {
    let f = `spec.${SECTION_OF_ROLE[c.role]}[${c.index}]`;
    for (const r of rest) f += typeof r === 'number' ? `[${r}]` : `.${r}`;
    return f;
  }

  private name(c: ComponentSpec): string {
    return c.id ? `${c.role} "${c.id}"` : `${c.role} #${c.index + 1}`;
  }

  // ---- checks -------------------------------------------------------------------------------

  private checkHeader(): void {
    const { p, bag } = this;
    // New top-level lines go at the left margin, before the first key (only for a block mapping there).
    const head = this.rootHead();
    const topInsert = (content: string, title: string): Fix[] =>
      head.column === 1 && this.lines ? [insertAt({ line: head.line, column: 1 }, `${content}\n`, title, true)] : [];
    const apiLoc = this.top('apiVersion');
    if (!p.apiVersion) {
      bag.error({
        code: 'api-version-required',
        message: 'apiVersion is required',
        at: apiLoc?.value ?? head,
        field: 'apiVersion',
        fix: 'add `apiVersion: flowctl/v1`',
        fixes: apiLoc?.key ? [replaceWith({ ...apiLoc.key, endLine: apiLoc.value.endLine, endColumn: apiLoc.value.endColumn }, 'apiVersion: flowctl/v1', 'Set `apiVersion: flowctl/v1`', true)] : topInsert('apiVersion: flowctl/v1', 'Add `apiVersion: flowctl/v1`'),
      });
    } else if (!KNOWN_API_VERSIONS.includes(p.apiVersion)) {
      bag.warning({
        code: 'api-version-unknown',
        message: `apiVersion "${p.apiVersion}" is not one flowctl knows; expected flowctl/v1`,
        at: apiLoc!.value,
        field: 'apiVersion',
        hint: 'flowctl accepts any apiVersion today, but flowctl/v1 is the documented one',
        fixes: this.replaceFixes(apiLoc, ['flowctl/v1'], true),
      });
    }
    const kindLoc = this.top('kind');
    if (!p.kind) {
      // After the apiVersion line when there is one, else at the top.
      let fixes: Fix[] = [];
      if (kindLoc?.key) fixes = [replaceWith({ ...kindLoc.key, endLine: kindLoc.value.endLine, endColumn: kindLoc.value.endColumn }, 'kind: Pipeline', 'Set `kind: Pipeline`', true)];
      else if (apiLoc?.key && apiLoc.key.column === 1) fixes = [this.insertLineAfter(apiLoc.value.endLine, 'kind: Pipeline', 'Add `kind: Pipeline`', true)].filter((f): f is Fix => !!f);
      else fixes = topInsert('kind: Pipeline', 'Add `kind: Pipeline`');
      bag.error({ code: 'kind', message: "kind must be 'Pipeline', got: (nothing)", at: kindLoc?.value ?? head, field: 'kind', fix: 'add `kind: Pipeline`', fixes });
    } else if (p.kind !== 'Pipeline') {
      bag.error({
        code: 'kind',
        message: `kind must be 'Pipeline', got: ${showValue(p.kind).slice(1, -1)}`,
        at: kindLoc!.value,
        field: 'kind',
        fix: 'write `kind: Pipeline`',
        fixes: this.replaceFixes(kindLoc, ['Pipeline'], true),
      });
    }
    const nameLoc = this.top('metadata', 'name');
    if (!p.metadata.name) {
      const meta = this.top('metadata');
      const at = nameLoc?.value ?? meta?.key ?? head;
      const fixes: Fix[] = [];
      const firstEntry = Object.values(meta?.entries ?? {})[0]?.key;
      const metaKey = meta?.key;
      if (!nameLoc && firstEntry && firstEntry.line > (metaKey?.line ?? 0)) {
        // A block mapping under metadata: a new line at the indentation of its keys.
        const f = this.insertLineAfter(firstEntry.line - 1, `${' '.repeat(firstEntry.column - 1)}name: my-pipeline`, 'Add `name: my-pipeline`', true);
        if (f) fixes.push(f);
      } else if (!nameLoc && metaKey && metaKey.column === 1 && !firstEntry && meta!.value.line === metaKey.line) {
        const f = this.insertLineAfter(metaKey.line, '  name: my-pipeline', 'Add `name: my-pipeline`', true);
        if (f) fixes.push(f);
      }
      bag.error({ code: 'name-required', message: 'metadata.name is required', at, field: 'metadata.name', fix: 'add `metadata: {name: my-pipeline}`', fixes });
    } else {
      const problem = nameProblem(p.metadata.name);
      if (problem) {
        const better = suggestName(p.metadata.name);
        bag.error({
          code: 'invalid-name',
          message: `metadata.name ${showValue(p.metadata.name)} is not allowed: ${problem}`,
          at: nameLoc?.value ?? head,
          field: 'metadata.name',
          fix: `use ${NAME_RULE}`,
          fixes: better ? this.replaceFixes(nameLoc, [better], true) : [],
        });
      }
    }
    const driver = p.spec.driver;
    if (driver !== undefined && driver !== '' && !(DRIVERS as readonly string[]).includes(driver)) {
      bag.error({
        code: 'driver',
        message: `Invalid driver ${showValue(driver)}`,
        at: this.top('spec', 'driver')!.value,
        field: 'spec.driver',
        fix: `use one of: ${DRIVERS.join(', ')}`,
        fixes: this.replaceFixes(this.top('spec', 'driver'), closestMatches(driver, DRIVERS, DRIVER_SYNONYMS), true),
      });
    }
    if (p.spec.sources.length === 0 && p.spec.pipelines.length === 0) {
      const at = this.top('spec', 'sources')?.key ?? this.top('spec')?.key ?? this.rootHead();
      bag.error({
        code: 'no-components',
        message: 'at least one source or pipeline component is required',
        at,
        field: 'spec.sources',
        fix: 'add a source: `sources: [{id: my-source, command: [./my-source]}]`',
      });
    }
  }

  private checkComponents(): void {
    const seen = new Map<string, ComponentSpec>();
    for (const c of this.all) {
      const idProblem = c.id ? nameProblem(c.id) : undefined;
      if (!c.id) {
        this.bag.error({ code: 'id-required', message: `${c.role} id is required`, at: this.head(c), field: this.field(c, 'id'), fix: `add \`id: my-${c.role}\`` });
      } else if (idProblem) {
        this.bag.error({
          code: 'invalid-id',
          message: `${c.role} id ${showValue(c.id)} is not allowed: ${idProblem}`,
          at: this.valueAt(c, 'id'),
          field: this.field(c, 'id'),
          fix: `use ${NAME_RULE}`,
          fixes: this.renameFixes(c),
        });
      } else if (seen.has(c.id)) {
        const first = seen.get(c.id)!;
        this.bag.error({
          code: 'duplicate-id',
          message: `duplicate component id: ${c.id}`,
          at: this.valueAt(c, 'id'),
          field: this.field(c, 'id'),
          fix: `rename one of them; ids are unique across sources, processors, sinks and pipelines (first used by the ${first.role} at line ${first.position.line})`,
        });
      } else {
        seen.set(c.id, c);
      }
      this.checkRunnable(c);
      this.checkComponentFields(c);
    }
  }

  /** Renames an invalid id to its closest valid form, with every inputs/depends_on entry naming it. */
  private renameFixes(c: ComponentSpec): Fix[] {
    const better = suggestName(c.id);
    const idLoc = locAt(c.loc, 'id');
    if (!better || !idLoc || this.all.some((o) => o.id === better)) return [];
    const edits = [{ range: idLoc.value, newText: yamlScalar(better, idLoc.quote) }];
    for (const o of this.all) {
      for (const key of ['inputs', 'depends_on'] as const) {
        (o[key] ?? []).forEach((ref, i) => {
          const l = locAt(o.loc, key, i);
          if (ref === c.id && l) edits.push({ range: l.value, newText: yamlScalar(better, l.quote) });
        });
      }
    }
    const refs = edits.length - 1;
    return [{ title: `Rename to ${better}${refs ? ` (and ${refs} reference${refs > 1 ? 's' : ''})` : ''}`, edits, preferred: true }];
  }

  /** How will this component be started? */
  private checkRunnable(c: ComponentSpec): void {
    const hasCommand = (c.command?.length ?? 0) > 0 && c.command![0] !== '';
    const hasImage = !!c.image;
    const hasType = !!c.type;
    const n = this.name(c);
    if (c.role === 'pipeline') {
      if (!hasImage && !hasCommand) {
        this.bag.error({
          code: 'pipeline-image',
          message: `pipeline ${c.id || `#${c.index + 1}`} must have an image specified`,
          at: this.head(c),
          field: this.field(c, 'image'),
          fix: 'add `image: …` (flowctl) or `command: [...]` to run it as a local process',
        });
        return;
      }
    } else if (!hasCommand && !hasImage && !hasType) {
      this.bag.error({
        code: 'no-runnable',
        message: `${c.role} ${c.id || `#${c.index + 1}`} must have either command, image, or type specified`,
        at: this.head(c),
        field: this.field(c, 'command'),
        fix: 'add `command: [./path/to/program, arg…]`',
      });
      return;
    }
    if (isRegistryReference(c.type)) {
      this.bag.warning({
        code: 'registry',
        message: `${n} uses registry component ${c.type}: registry components are not supported offline`,
        at: this.valueAt(c, 'type'),
        field: this.field(c, 'type'),
        hint: hasCommand ? 'its `command` is run instead of downloading the component' : 'give a `command` that runs the component from a local build',
      });
    } else if (!hasCommand && !hasImage && c.role !== 'pipeline') {
      this.bag.warning({
        code: 'type-only',
        message: `${n} has only a type (${c.type}); there is nothing to start`,
        at: this.valueAt(c, 'type'),
        field: this.field(c, 'command'),
        hint: 'flowctl only knows a few legacy built-in types; give a `command`',
      });
    }
    // A container's command runs inside its image: it is not looked up on this machine.
    if (hasCommand && this.opts.checkCommands !== false && !this.runsAsContainer(c)) this.checkCommand(c);
  }

  private checkCommand(c: ComponentSpec): void {
    const cmd = c.command![0];
    const found = findCommand(cmd, this.p.dir, this.opts.env ?? process.env);
    if (found.kind === 'ok') return;
    const at = this.valueAt(c, 'command', 0);
    const field = this.field(c, 'command', 0);
    if (found.kind === 'not-executable') {
      this.bag.warning({ code: 'command-not-executable', message: `Command is not executable: ${found.path}`, at, field, hint: `run \`chmod +x ${found.path}\`` });
      return;
    }
    const words = cmd.trim().split(/\s+/);
    let hint = cmd.includes('/') ? `looked for ${found.path}` : `looked on PATH and in ${this.p.dir}`;
    if (words.length > 1 && findCommand(words[0], this.p.dir, this.opts.env ?? process.env).kind === 'ok') {
      hint = `command is a list: write the program and its arguments separately, e.g. command: [${words.map((w) => JSON.stringify(w)).join(', ')}]`;
    } else if (found.kind === 'in-folder') {
      hint = `not on PATH, but ${found.path} exists: write ./${cmd}`;
    }
    this.bag.warning({ code: 'command-not-found', message: `Command file not found: ${cmd}`, at, field, hint });
  }

  /** The `debug:` key (ours): known runtime, a port for debug.command, listeners on loopback only. */
  private checkDebug(c: ComponentSpec, label: string): void {
    for (const p of debugKeyProblems(c.debug!, closestMatches)) {
      const d = {
        code: p.code,
        message: `${label} ${p.message}`,
        at: this.valueAt(c, 'debug', ...p.path),
        field: this.field(c, 'debug', ...p.path),
        fixes: p.candidates ? this.replaceFixes(locAt(c.loc, 'debug', ...p.path), p.candidates, true) : [],
      };
      if (p.severity === 'error') this.bag.error({ ...d, fix: p.fix });
      else this.bag.warning({ ...d, hint: p.fix });
    }
  }

  private checkComponentFields(c: ComponentSpec): void {
    const R = capital(c.role);
    const label = c.id ? `${R} "${c.id}"` : `${R} #${c.index + 1}`;
    if (c.restart_policy !== undefined && !(RESTART_POLICIES as readonly string[]).includes(c.restart_policy)) {
      this.bag.error({
        code: 'restart-policy',
        message: `${label} has invalid restart_policy ${showValue(c.restart_policy)}`,
        at: this.valueAt(c, 'restart_policy'),
        field: this.field(c, 'restart_policy'),
        fix: `use one of: ${RESTART_POLICIES.join(', ')} (quote "no")`,
        fixes: this.replaceFixes(locAt(c.loc, 'restart_policy'), closestMatches(c.restart_policy, RESTART_POLICIES, RESTART_SYNONYMS), true),
      });
    }
    if (c.replicas !== undefined && c.replicas < 0) {
      this.bag.error({ code: 'replicas-negative', message: `${label} replicas cannot be negative`, at: this.valueAt(c, 'replicas'), field: this.field(c, 'replicas'), fix: 'set replicas to 1 or more' });
    } else if (c.replicas !== undefined && c.replicas > 1) {
      this.bag.hint({
        code: 'replicas-ignored',
        message: `${label} asks for ${c.replicas} replicas; one ${this.runsAsContainer(c) ? 'container' : 'process'} is started`,
        at: this.valueAt(c, 'replicas'),
        field: this.field(c, 'replicas'),
        hint: 'replicas only matter to container orchestrators',
      });
    }
    if (c.health_check && c.health_port === undefined) {
      this.bag.error({
        code: 'health-check-port',
        message: `${label} has health_check but no health_port specified`,
        at: this.keyAt(c, 'health_check'),
        field: this.field(c, 'health_port'),
        fix: 'add `health_port: <port>`',
      });
    }
    if (c.health_port !== undefined) this.checkPortRange(c, c.health_port, this.valueAt(c, 'health_port'), this.field(c, 'health_port'));
    this.checkMounts(c, label);
    if (c.debug) this.checkDebug(c, label);
    (c.ports ?? []).forEach((port, i) => {
      for (const k of ['containerPort', 'hostPort'] as const) {
        if (port[k] !== undefined) this.checkPortRange(c, port[k]!, this.valueAt(c, 'ports', i, k), this.field(c, 'ports', i, k));
      }
      if (port.protocol !== undefined && !(PORT_PROTOCOLS as readonly string[]).includes(port.protocol)) {
        this.bag.warning({
          code: 'port-protocol',
          message: `${label} port protocol ${showValue(port.protocol)} is not one of ${PORT_PROTOCOLS.join(', ')}`,
          at: this.valueAt(c, 'ports', i, 'protocol'),
          field: this.field(c, 'ports', i, 'protocol'),
          fixes: this.replaceFixes(locAt(c.loc, 'ports', i, 'protocol'), closestMatches(port.protocol, PORT_PROTOCOLS), true),
        });
      }
    });
  }

  private checkPortRange(c: ComponentSpec, port: number, at: Range, field: string): void {
    if (port >= 1 && port <= 65535) return;
    this.bag.error({ code: 'port-range', message: `${this.name(c)}: port ${port} is out of range`, at, field, fix: 'use a port between 1 and 65535' });
  }

  private checkReferences(): void {
    const ids = new Set(this.all.map((c) => c.id).filter(Boolean));
    const order = new Map<string, number>();
    // flowctl accepts only inputs seen earlier (sources, then processors, then sinks).
    this.all.forEach((c, i) => {
      if (c.id && !order.has(c.id)) order.set(c.id, i);
    });
    for (const [ci, c] of this.all.entries()) {
      const inputs = c.inputs ?? [];
      if (c.role === 'source' && inputs.length > 0) {
        this.bag.warning({
          code: 'source-inputs',
          message: `source "${c.id}" has inputs; sources do not receive events`,
          at: this.keyAt(c, 'inputs'),
          field: this.field(c, 'inputs'),
          hint: 'use `depends_on` to start it after other components',
        });
      }
      const dup = new Set<string>();
      let othersCache: string[] | undefined;
      const others = () => (othersCache ??= [...ids].filter((id) => id !== c.id));
      inputs.forEach((input, i) => {
        const at = this.valueAt(c, 'inputs', i);
        const field = this.field(c, 'inputs', i);
        if (!ids.has(input)) {
          const fixes = this.idFixes(locAt(c.loc, 'inputs', i), input, others());
          const guess = closestMatches(input, others())[0];
          this.bag.error({
            code: 'unknown-input',
            message: `${c.role} ${c.id} references unknown input ${input || '""'}`,
            at,
            field,
            fix: `${guess ? `did you mean ${guess}? ` : ''}use the id of a source, processor or sink: ${listIds(others())}`,
            fixes,
          });
        } else if (dup.has(input)) {
          this.bag.warning({ code: 'duplicate-input', message: `${this.name(c)} lists input ${input} twice`, at, field, hint: 'remove the repeated entry' });
        } else if (order.get(input)! > ci && c.role !== 'pipeline' && input !== c.id) {
          this.bag.warning({
            code: 'forward-input',
            message: `${this.name(c)} takes input ${input}, which is defined later in the file`,
            at,
            field,
            hint: 'components still start in dependency order here, but flowctl (Go) rejects inputs defined later',
          });
        }
        dup.add(input);
      });
      (c.depends_on ?? []).forEach((dep, i) => {
        if (ids.has(dep)) return;
        const guess = closestMatches(dep, others())[0];
        this.bag.error({
          code: 'unknown-depends-on',
          message: `${c.role} ${c.id} depends on unknown component ${dep || '""'}`,
          at: this.valueAt(c, 'depends_on', i),
          field: this.field(c, 'depends_on', i),
          fix: `${guess ? `did you mean ${guess}? ` : ''}use the id of another component: ${listIds(others())}`,
          fixes: this.idFixes(locAt(c.loc, 'depends_on', i), dep, others()),
        });
      });
      if ((c.role === 'processor' || c.role === 'sink') && inputs.length === 0) {
        // flowctl validate's check and wording; its loader (flowctl run) lets such a component start and receive nothing.
        this.bag.error({
          code: 'no-inputs',
          message: `${c.id ? `${capital(c.role)} "${c.id}"` : `${capital(c.role)} #${c.index + 1}`} must have at least one input`,
          at: c.loc.entries?.inputs?.key ?? this.head(c),
          field: this.field(c, 'inputs'),
          fix: `add \`inputs: [<id of a source${c.role === 'sink' ? ' or processor' : ''}>]\`; without inputs nothing feeds it`,
          fixes: this.addInputsFixes(c),
        });
      }
    }
  }

  /**
   * `inputs: [x]` added as a new line at the end of the component, for the likely upstreams: for a
   * processor the previous processor, then the sources; for a sink the last processor, then sources.
   */
  private addInputsFixes(c: ComponentSpec): Fix[] {
    const first = Object.values(c.loc.entries ?? {})[0]?.key;
    if (!first || !this.lines || c.loc.entries?.inputs) return [];
    // A flow mapping (`- {id: x, …}`) has no line to add; a block one does.
    if (this.lines[c.range.line - 1]?.[c.range.column - 1] === '{') return [];
    const before = (role: string) => this.all.filter((o) => o.role === role && o.id && o.id !== c.id && !nameProblem(o.id) && (o.role !== c.role || o.index < c.index));
    const candidates = [...before('processor').reverse(), ...before('source')].map((o) => o.id).slice(0, 3);
    const indent = ' '.repeat(first.column - 1);
    return candidates
      .map((id, i) => this.insertLineAfter(c.range.endLine, `${indent}inputs: [${yamlScalar(id)}]`, `Add \`inputs: [${id}]\``, i === 0))
      .filter((f): f is Fix => !!f);
  }

  /** Declared event types that cannot meet: the runner gives a sink only the events its input_event_types name. */
  private checkEventTypes(): void {
    const byId = new Map(this.all.filter((c) => c.id).map((c) => [c.id, c] as const));
    for (const c of this.all) {
      if (c.role !== 'sink' || !c.input_event_types?.length) continue;
      const accepts = new Set(c.input_event_types);
      (c.inputs ?? []).forEach((input, i) => {
        const up = byId.get(input);
        if (!up || up === c || !up.output_event_types?.length) return;
        if (up.output_event_types.some((t) => accepts.has(t))) return;
        this.bag.warning({
          code: 'event-types-mismatch',
          message: `sink "${c.id}" accepts event types [${c.input_event_types!.join(', ')}], but its input "${input}" produces only [${up.output_event_types.join(', ')}]: none of ${input}'s events will reach ${c.id}`,
          at: this.valueAt(c, 'inputs', i),
          field: this.field(c, 'inputs', i),
          hint: `a sink receives only the events whose type is in its input_event_types; fix one of the lists (${up.role} ${input} at line ${up.position.line}) or leave input_event_types empty to accept every type. Components may register other types when they start`,
        });
      });
    }
  }

  /**
   * Whether a component runs in a container, by the drivers' rule (drivers/select.ts): one with an
   * image and no command always does; one with both does in docker mode (--orchestrator or spec.driver).
   */
  private runsAsContainer(c: ComponentSpec): boolean {
    const hasCommand = (c.command?.length ?? 0) > 0 && !!c.command![0];
    if (!c.image) return false;
    return !hasCommand || modeOf(this.opts.orchestrator ?? this.p.spec.driver) === 'docker';
  }

  /**
   * volumes and secrets: flowctl mounts volumes, and secrets of type file/dir as read-only volumes, in
   * containers only; env secrets are not implemented there. Nothing is silently dropped: each one that
   * has no effect is a warning at its own line. (Container volumes are checked by the driver selection.)
   */
  private checkMounts(c: ComponentSpec, label: string): void {
    const container = this.runsAsContainer(c);
    if (c.volumes?.length && !container) {
      this.bag.warning({
        code: 'volumes-ignored',
        message: `${label} has volumes, which have no effect: it runs as a local process`,
        at: this.keyAt(c, 'volumes'),
        field: this.field(c, 'volumes'),
        hint: c.image
          ? 'its command wins over its image; run with --orchestrator docker (or spec.driver: docker) to run it as a container with these mounts'
          : 'a local process sees the host files directly: use their host paths in command, args or env',
      });
    }
    (c.secrets ?? []).forEach((sec, i) => {
      const name = sec.name ? showValue(sec.name) : `#${i + 1}`;
      const at = this.valueAt(c, 'secrets', i);
      const field = this.field(c, 'secrets', i);
      const type = sec.type ?? '';
      if (type === 'file' || type === 'dir') {
        if (!container) {
          this.bag.warning({
            code: 'secret-ignored',
            message: `${label} secret ${name} (type ${type}) is not mounted: it runs as a local process`,
            at,
            field,
            hint: sec.host_path ? `the process can read ${showValue(sec.host_path)} directly; pass that path in args or env` : 'secrets of type file/dir are mounted read-only into containers',
          });
        } else if (!sec.host_path || !sec.container_path) {
          this.bag.warning({
            code: 'secret-incomplete',
            message: `${label} secret ${name} has no ${!sec.host_path ? 'host_path' : 'container_path'}: it is not mounted`,
            at,
            field,
            hint: 'a file/dir secret needs host_path and container_path',
          });
        }
      } else if (type === 'env') {
        this.bag.warning({
          code: 'secret-unsupported',
          message: `${label} secret ${name} of type env is not supported${sec.env ? `: ${sec.env} will not be set` : ''}`,
          at,
          field,
          hint: 'flowctl does not implement env secrets either; set the variable under env: from a file kept out of version control',
        });
      } else {
        this.bag.warning({
          code: 'secret-ignored',
          message: `${label} secret ${name} has ${type ? `type ${showValue(type)}` : 'no type'}: only secrets of type file or dir are used (mounted into containers)`,
          at,
          field,
          hint: 'set type: file or type: dir',
          fixes: type ? this.replaceFixes(locAt(c.loc, 'secrets', i, 'type'), closestMatches(type, ['file', 'dir', 'env']), true) : [],
        });
      }
    });
  }

  private checkCycles(): void {
    const graph = buildGraph(this.p);
    for (const cycle of graph.findCycles()) {
      const first = graph.node(cycle[0])!.component;
      const closing = cycle[cycle.length - 1];
      // Point at the entry in the first component that names its predecessor in the cycle.
      let at = this.head(first);
      let field = this.field(first);
      const ii = (first.inputs ?? []).indexOf(closing);
      const di = (first.depends_on ?? []).indexOf(closing);
      if (ii >= 0) {
        at = this.valueAt(first, 'inputs', ii);
        field = this.field(first, 'inputs', ii);
      } else if (di >= 0) {
        at = this.valueAt(first, 'depends_on', di);
        field = this.field(first, 'depends_on', di);
      }
      this.bag.error({
        code: 'cycle',
        message: `dependency cycle: ${formatCycle(cycle)}`,
        at,
        field,
        fix: cycle.length === 1 ? `${first.id} cannot take itself as input` : 'remove one of the inputs/depends_on entries in the cycle',
      });
    }
  }

  private checkPorts(): void {
    type Claim = { port: number; id: string; health: boolean; at: Range; field: string };
    const claims: Claim[] = [];
    for (const c of this.all) {
      if (!c.id) continue;
      const mine = new Set<string>();
      const claim = (port: number | undefined, health: boolean, at: Range, field: string) => {
        if (port === undefined || !Number.isInteger(port) || port <= 0) return;
        const key = `${port}`;
        if (mine.has(key)) return; // the same component naming its own port twice is fine
        mine.add(key);
        claims.push({ port, id: c.id, health, at, field });
      };
      for (const k of ['PORT', 'GRPC_PORT']) {
        if (c.env?.[k] !== undefined) claim(parsePort(c.env[k]), false, this.valueAt(c, 'env', k), this.field(c, 'env', k));
      }
      if (c.env?.HEALTH_PORT !== undefined) claim(parsePort(c.env.HEALTH_PORT), true, this.valueAt(c, 'env', 'HEALTH_PORT'), this.field(c, 'env', 'HEALTH_PORT'));
      claim(c.health_port, true, this.valueAt(c, 'health_port'), this.field(c, 'health_port'));
      (c.ports ?? []).forEach((p, i) => claim(p.hostPort, false, this.valueAt(c, 'ports', i, 'hostPort'), this.field(c, 'ports', i, 'hostPort')));
    }
    const byPort = new Map<number, Claim[]>();
    for (const cl of claims) byPort.set(cl.port, [...(byPort.get(cl.port) ?? []), cl]);
    for (const [port, list] of byPort) {
      const owners = [...new Set(list.map((l) => l.id))];
      if (owners.length < 2) continue;
      const second = list.find((l) => l.id !== list[0].id)!;
      const health = list.every((l) => l.health);
      this.bag.error({
        code: health ? 'health-port-conflict' : 'port-conflict',
        message: `${health ? 'Health port' : 'Port'} conflict: ${port} used by multiple components: ${owners.join(', ')}`,
        at: second.at,
        field: second.field,
        fix: 'give each component its own port',
      });
    }
  }

  /** flowctl validate's warnings and hints about the pipeline's overall shape. */
  private checkShape(): void {
    const { spec } = this.p;
    const sectionAt = (s: string) => this.top('spec', s)?.key ?? this.top('spec')?.key ?? this.rootHead();
    if (spec.sources.length > 0 && spec.processors.length === 0) {
      this.bag.hint({
        code: 'no-processors',
        message: 'No processors defined',
        at: sectionAt('processors'),
        field: 'spec.processors',
        hint: 'sinks read straight from the components named in their inputs',
      });
    }
    if (spec.sources.length > 0 && spec.sinks.length === 0) {
      this.bag.warning({
        code: 'no-sinks',
        message: 'No sinks (consumers) defined',
        at: sectionAt('sinks'),
        field: 'spec.sinks',
        hint: "the sources' events go nowhere; flowctl validate (Go) requires at least one sink",
      });
    }
    if (spec.processors.length > 5) {
      this.bag.warning({
        code: 'long-chain',
        message: `Long processor chain detected (${spec.processors.length} processors)`,
        at: sectionAt('processors'),
        field: 'spec.processors',
        hint: `each hop adds latency (~${spec.processors.length * 20}ms)`,
      });
    }
    if (spec.sinks.length > 10) {
      this.bag.warning({
        code: 'fan-out',
        message: 'Large fan-out detected',
        at: sectionAt('sinks'),
        field: 'spec.sinks',
        hint: `${spec.sinks.length} sinks receive the same events`,
      });
    }
  }
}

/** "8080", ":8080", "localhost:8080" → 8080; anything else → undefined. */
export function parsePort(value: string): number | undefined {
  const m = /^\s*(?:[^\s:]*:)?(\d{1,5})\s*$/.exec(value);
  return m ? Number(m[1]) : undefined;
}
