import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, formatFlagHelp, parseArgs, type FlagSpecs } from '../../src/cli/args';

const specs = {
  address: { type: 'string', default: '0.0.0.0' },
  port: { type: 'number', default: 8080 },
  'heartbeat-ttl': { type: 'duration', default: 30_000 },
  timeout: { type: 'duration' },
  'no-persistence': { type: 'boolean', default: false },
  'show-status': { type: 'boolean', default: true },
  verbose: { type: 'boolean' },
  endpoint: { type: 'string', short: 'e' },
  metadata: { type: 'strings' },
  limit: { type: 'number' },
} satisfies FlagSpecs;

test('defaults', () => {
  const { flags, positionals, given, help } = parseArgs([], specs);
  assert.equal(flags.address, '0.0.0.0');
  assert.equal(flags.port, 8080);
  assert.equal(flags['heartbeat-ttl'], 30_000);
  assert.equal(flags.timeout, undefined);
  assert.equal(flags['no-persistence'], false);
  assert.equal(flags['show-status'], true);
  assert.equal(flags.verbose, undefined);
  assert.deepEqual(flags.metadata, []);
  assert.deepEqual(positionals, []);
  assert.equal(given.size, 0);
  assert.equal(help, false);
});

test('--flag value, --flag=value, short flags, positionals anywhere', () => {
  const { flags, positionals, given } = parseArgs(['run', '--address', '127.0.0.1', 'flow.yml', '--port=9090', '-e', 'h:1'], specs);
  assert.equal(flags.address, '127.0.0.1');
  assert.equal(flags.port, 9090);
  assert.equal(flags.endpoint, 'h:1');
  assert.deepEqual(positionals, ['run', 'flow.yml']);
  assert.deepEqual([...given].sort(), ['address', 'endpoint', 'port']);
  assert.equal(parseArgs(['-e=x:2'], specs).flags.endpoint, 'x:2');
});

test('booleans: --x, --x=false, --no-x, and a flag literally named no-x', () => {
  assert.equal(parseArgs(['--verbose'], specs).flags.verbose, true);
  assert.equal(parseArgs(['--verbose=false'], specs).flags.verbose, false);
  assert.equal(parseArgs(['--no-verbose'], specs).flags.verbose, false);
  assert.equal(parseArgs(['--show-status=false'], specs).flags['show-status'], false);
  assert.equal(parseArgs(['--no-show-status'], specs).flags['show-status'], false);
  assert.equal(parseArgs(['--no-persistence'], specs).flags['no-persistence'], true);
  assert.equal(parseArgs(['--no-persistence=false'], specs).flags['no-persistence'], false);
  // A boolean does not swallow the next argument.
  const p = parseArgs(['--verbose', 'file.yml'], specs);
  assert.equal(p.flags.verbose, true);
  assert.deepEqual(p.positionals, ['file.yml']);
  assert.throws(() => parseArgs(['--verbose=maybe'], specs), /invalid argument "maybe" for "--verbose" flag/);
  assert.throws(() => parseArgs(['--no-verbose=true'], specs), /takes no value/);
});

test('Go durations', () => {
  const d = (s: string) => parseArgs(['--timeout', s], specs).flags.timeout;
  assert.equal(d('30s'), 30_000);
  assert.equal(d('500ms'), 500);
  assert.equal(d('1m'), 60_000);
  assert.equal(d('1m30s'), 90_000);
  assert.equal(d('1.5h'), 5_400_000);
  assert.equal(d('0'), 0);
  assert.equal(parseArgs(['--heartbeat-ttl=2s'], specs).flags['heartbeat-ttl'], 2000);
  assert.throws(() => d('30'), /invalid argument "30" for "--timeout" flag: .*missing unit/);
  assert.throws(() => d('abc'), UsageError);
});

test('numbers, negative values, repeated flags, --', () => {
  assert.equal(parseArgs(['--limit', '-1'], specs).flags.limit, -1);
  assert.throws(() => parseArgs(['--port', 'x'], specs), /invalid argument "x" for "--port" flag: not a number/);
  assert.throws(() => parseArgs(['--port', ''], specs), /not a number/);
  assert.deepEqual(parseArgs(['--metadata', 'a=1', '--metadata=b=2'], specs).flags.metadata, ['a=1', 'b=2']);
  const p = parseArgs(['--port', '1', '--', '--port', '-x'], specs);
  assert.equal(p.flags.port, 1);
  assert.deepEqual(p.positionals, ['--port', '-x']);
  assert.deepEqual(parseArgs(['-'], specs).positionals, ['-']);
});

test('errors read like cobra', () => {
  assert.throws(() => parseArgs(['--bogus'], specs), { name: 'UsageError', message: 'unknown flag: --bogus' });
  assert.throws(() => parseArgs(['-z'], specs), { message: 'unknown shorthand flag: -z' });
  assert.throws(() => parseArgs(['--address'], specs), { message: 'flag needs an argument: --address' });
  assert.throws(() => parseArgs(['--no-address'], specs), { message: 'unknown flag: --no-address' });
});

test('-h / --help', () => {
  assert.equal(parseArgs(['-h'], specs).help, true);
  assert.equal(parseArgs(['x', '--help'], specs).help, true);
  assert.equal(parseArgs(['--', '--help'], specs).help, false);
});

test('flag help shows types and defaults', () => {
  const help = formatFlagHelp(specs);
  assert.match(help, /--address string\s+\(default "0\.0\.0\.0"\)/);
  assert.match(help, /--heartbeat-ttl duration\s+\(default 30s\)/);
  assert.match(help, /-e, --endpoint string/);
  assert.match(help, /-h, --help\s+help for this command/);
});
