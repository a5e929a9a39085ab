// Everything wrong or suspicious in a pipeline, all at once, each with its place in the file.
// flowctl's own checks (loader and `flowctl validate`) keep flowctl's wording; ours are added.
import { DiagnosticBag, type Diagnostic } from './diagnostics';
import { buildGraph, formatCycle } from './graph';
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
import { DRIVERS, PORT_PROTOCOLS, RESTART_POLICIES } from './shape';

export interface ValidateOptions {
  /** Look up command[0] on PATH / relative to the pipeline folder (default true). */
  checkCommands?: boolean;
  /** Folder a relative pipeline path is resolved against (default process.cwd()). */
  cwd?: string;
  /** Environment for the PATH lookup (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** How components will be started (default 'process': no container engine, images are not pulled). */
  orchestrator?: 'process' | 'container';
}

const KNOWN_API_VERSIONS = ['flowctl/v1', 'v1'];
const ORIGIN: Range = { line: 1, column: 1, endLine: 1, endColumn: 1 };

const capital = (r: Role) => r[0].toUpperCase() + r.slice(1);

/** Validates an already-built model; returns the diagnostics (file named as `pipeline.file`). */
export function validatePipeline(pipeline: Pipeline, opts?: ValidateOptions & { file?: string }): Diagnostic[];
/** Adds the diagnostics to an existing bag (used by the loader). */
export function validatePipeline(pipeline: Pipeline, bag: DiagnosticBag, opts?: ValidateOptions): Diagnostic[];
export function validatePipeline(
  pipeline: Pipeline,
  bagOrOpts?: DiagnosticBag | (ValidateOptions & { file?: string }),
  maybeOpts?: ValidateOptions,
): Diagnostic[] {
  const bag = bagOrOpts instanceof DiagnosticBag ? bagOrOpts : new DiagnosticBag(bagOrOpts?.file ?? pipeline.file);
  const opts = (bagOrOpts instanceof DiagnosticBag ? maybeOpts : bagOrOpts) ?? {};
  new Checker(pipeline, bag, opts).run();
  return bag.items;
}

class Checker {
  private readonly all: ComponentSpec[];
  constructor(
    private readonly p: Pipeline,
    private readonly bag: DiagnosticBag,
    private readonly opts: ValidateOptions,
  ) {
    this.all = allComponents(p);
  }

  run(): void {
    this.checkHeader();
    this.checkComponents();
    this.checkReferences();
    this.checkCycles();
    this.checkPorts();
    this.checkShape();
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
    if (!p.apiVersion) {
      bag.error({ code: 'api-version-required', message: 'apiVersion is required', at: this.rootHead(), field: 'apiVersion', fix: 'add `apiVersion: flowctl/v1`' });
    } else if (!KNOWN_API_VERSIONS.includes(p.apiVersion)) {
      bag.warning({
        code: 'api-version-unknown',
        message: `apiVersion "${p.apiVersion}" is not one flowctl knows; expected flowctl/v1`,
        at: this.top('apiVersion')!.value,
        field: 'apiVersion',
        hint: 'flowctl accepts any apiVersion today, but flowctl/v1 is the documented one',
      });
    }
    if (!p.kind) {
      bag.error({ code: 'kind', message: "kind must be 'Pipeline', got: (nothing)", at: this.rootHead(), field: 'kind', fix: 'add `kind: Pipeline`' });
    } else if (p.kind !== 'Pipeline') {
      bag.error({ code: 'kind', message: `kind must be 'Pipeline', got: ${p.kind}`, at: this.top('kind')!.value, field: 'kind', fix: 'write `kind: Pipeline`' });
    }
    if (!p.metadata.name) {
      const meta = this.top('metadata');
      const at = this.top('metadata', 'name')?.value ?? meta?.key ?? this.rootHead();
      bag.error({ code: 'name-required', message: 'metadata.name is required', at, field: 'metadata.name', fix: 'add `metadata: {name: my-pipeline}`' });
    }
    const driver = p.spec.driver;
    if (driver !== undefined && driver !== '' && !(DRIVERS as readonly string[]).includes(driver)) {
      bag.error({
        code: 'driver',
        message: `Invalid driver "${driver}"`,
        at: this.top('spec', 'driver')!.value,
        field: 'spec.driver',
        fix: `use one of: ${DRIVERS.join(', ')}`,
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
      if (!c.id) {
        this.bag.error({ code: 'id-required', message: `${c.role} id is required`, at: this.head(c), field: this.field(c, 'id'), fix: `add \`id: my-${c.role}\`` });
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
    if (hasImage && !hasCommand && (this.opts.orchestrator ?? 'process') === 'process') {
      this.bag.error({
        code: 'image-only',
        message: `${n} has only an image: no container engine here; give a command`,
        at: this.valueAt(c, 'image'),
        field: this.field(c, 'command'),
        fix: 'add `command: [./path/to/binary]` that runs the component locally (the image is not pulled)',
      });
    }
    if (hasCommand && this.opts.checkCommands !== false) this.checkCommand(c);
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

  private checkComponentFields(c: ComponentSpec): void {
    const R = capital(c.role);
    const label = c.id ? `${R} "${c.id}"` : `${R} #${c.index + 1}`;
    if (c.restart_policy !== undefined && !(RESTART_POLICIES as readonly string[]).includes(c.restart_policy)) {
      this.bag.error({
        code: 'restart-policy',
        message: `${label} has invalid restart_policy "${c.restart_policy}"`,
        at: this.valueAt(c, 'restart_policy'),
        field: this.field(c, 'restart_policy'),
        fix: `use one of: ${RESTART_POLICIES.join(', ')} (quote "no")`,
      });
    }
    if (c.replicas !== undefined && c.replicas < 0) {
      this.bag.error({ code: 'replicas-negative', message: `${label} replicas cannot be negative`, at: this.valueAt(c, 'replicas'), field: this.field(c, 'replicas'), fix: 'set replicas to 1 or more' });
    } else if (c.replicas !== undefined && c.replicas > 1 && (this.opts.orchestrator ?? 'process') === 'process') {
      this.bag.hint({
        code: 'replicas-ignored',
        message: `${label} asks for ${c.replicas} replicas; one process is started`,
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
    (c.ports ?? []).forEach((port, i) => {
      for (const k of ['containerPort', 'hostPort'] as const) {
        if (port[k] !== undefined) this.checkPortRange(c, port[k]!, this.valueAt(c, 'ports', i, k), this.field(c, 'ports', i, k));
      }
      if (port.protocol !== undefined && !(PORT_PROTOCOLS as readonly string[]).includes(port.protocol)) {
        this.bag.warning({
          code: 'port-protocol',
          message: `${label} port protocol "${port.protocol}" is not one of ${PORT_PROTOCOLS.join(', ')}`,
          at: this.valueAt(c, 'ports', i, 'protocol'),
          field: this.field(c, 'ports', i, 'protocol'),
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
      inputs.forEach((input, i) => {
        const at = this.valueAt(c, 'inputs', i);
        const field = this.field(c, 'inputs', i);
        if (!ids.has(input)) {
          this.bag.error({
            code: 'unknown-input',
            message: `${c.role} ${c.id} references unknown input ${input || '""'}`,
            at,
            field,
            fix: `use the id of a source, processor or sink: ${[...ids].join(', ')}`,
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
        this.bag.error({
          code: 'unknown-depends-on',
          message: `${c.role} ${c.id} depends on unknown component ${dep || '""'}`,
          at: this.valueAt(c, 'depends_on', i),
          field: this.field(c, 'depends_on', i),
          fix: `use the id of another component: ${[...ids].join(', ')}`,
        });
      });
      if ((c.role === 'processor' || c.role === 'sink') && inputs.length === 0) {
        this.bag.warning({
          code: 'no-inputs',
          message: `${c.id ? `${capital(c.role)} "${c.id}"` : `${capital(c.role)} #${c.index + 1}`} has no inputs: nothing will feed it`,
          at: this.head(c),
          field: this.field(c, 'inputs'),
          hint: 'add `inputs: [<id of a source or processor>]`',
        });
      }
    }
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
