import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { LmdbStorage, defaultDbPath } from '../../src/core/controlplane/storage/lmdb';
import { emptyRunMetrics, type PipelineRun, type ServiceRecord } from '../../src/core/controlplane/model';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'flowctl-lmdb-test-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

let n = 0;
function dbFile(): string {
  return path.join(tmpRoot, `case-${n++}`, 'registry.lmdb');
}

function service(id: string, lastHeartbeat = 1000, peer?: string): ServiceRecord {
  return {
    serviceId: id,
    info: {
      id,
      name: `name-${id}`,
      description: 'd',
      version: '1',
      type: 2,
      input_event_types: ['a'],
      output_event_types: ['b'],
      endpoint: 'localhost:1',
      metadata: { k: 'v' },
    },
    status: 2,
    metrics: { n: '1' },
    registeredAt: 1000,
    lastHeartbeat,
    stale: false,
    ...(peer ? { peer } : {}),
  };
}

function run(id: string, status = 1): PipelineRun {
  return {
    runId: id,
    pipelineId: 'pipe',
    pipelineName: 'pipe',
    status,
    startTime: 5,
    endTime: 0,
    configYaml: 'version: 1\n',
    metrics: { ...emptyRunMetrics(), component_metrics: { a: { events_in: 1, events_out: 2, bytes_in: 3, bytes_out: 4, processing_time_ms: 0.5 } } },
    error: '',
    componentIds: ['a'],
  };
}

const fixture = path.join(__dirname, '..', 'fixtures', 'storage-writer.js');

function startChild(mode: 'hold' | 'puts', db: string): ChildProcess {
  const child = spawn(process.execPath, [fixture, mode, db], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

test('defaultDbPath is ~/.flowctl/registry.lmdb (or under FLOWCTL_HOME)', () => {
  const saved = process.env.FLOWCTL_HOME;
  delete process.env.FLOWCTL_HOME;
  try {
    assert.equal(defaultDbPath(), path.join(os.homedir(), '.flowctl', 'registry.lmdb'));
  } finally {
    if (saved !== undefined) process.env.FLOWCTL_HOME = saved;
  }
});

test('services and runs round-trip, deletes stick, and everything survives close + reopen', async () => {
  const file = dbFile();
  const s = new LmdbStorage(file);
  await s.open(); // creates the parent folders
  assert.equal(s.kind, 'lmdb');
  assert.equal(s.location, file);
  assert.ok(fs.existsSync(file));
  assert.ok(fs.existsSync(`${file}.pid`), 'lock file present while open');
  await s.putService(service('a', 1000, 'ipv4:127.0.0.1:5000'));
  await s.putService(service('b'));
  await s.putService(service('c'));
  await s.deleteService('b');
  await s.deleteService('never-existed');
  await s.putRun(run('r1'));
  await s.putRun(run('r2'));
  await s.putRun(run('r1', 3));
  assert.deepEqual(await s.loadServices(), [service('a', 1000, 'ipv4:127.0.0.1:5000'), service('c')]);
  await s.close();
  await s.close(); // idempotent
  assert.equal(fs.existsSync(`${file}.pid`), false, 'lock file removed on close');
  await assert.rejects(s.putService(service('x')), /not open/);

  const again = new LmdbStorage(file);
  await again.open();
  assert.deepEqual(await again.loadServices(), [service('a', 1000, 'ipv4:127.0.0.1:5000'), service('c')]);
  assert.deepEqual(await again.loadRuns(), [run('r1', 3), run('r2')]);
  await again.close();

  // The same object can be opened again after close.
  await s.open();
  assert.equal((await s.loadServices()).length, 2);
  await s.close();
});

test('touches are coalesced: N touches cause no write until flush, then exactly one transaction', async () => {
  const file = dbFile();
  const s = new LmdbStorage(file, { flushIntervalMs: 60_000 });
  await s.open();
  for (let i = 0; i < 10; i++) await s.putService(service(`svc-${i}`));
  const before = s.stats.writeTransactions;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 10; i++) s.touchService(service(`svc-${i}`, 2000 + round));
  }
  assert.equal(s.stats.writeTransactions, before, '500 touches wrote nothing yet');
  assert.equal(s.stats.touchBatches, 0);
  await s.flush();
  assert.equal(s.stats.writeTransactions, before + 1, 'one transaction for the whole batch');
  assert.equal(s.stats.touchBatches, 1);
  assert.equal(s.stats.touchedWritten, 10);
  await s.flush(); // nothing pending: no new transaction
  assert.equal(s.stats.writeTransactions, before + 1);
  await s.close();

  const again = new LmdbStorage(file);
  await again.open();
  const loaded = await again.loadServices();
  assert.equal(loaded.length, 10);
  for (const r of loaded) assert.equal(r.lastHeartbeat, 2049, r.serviceId);
  await again.close();
});

test('pending touches are written by the timer and by close', async () => {
  const file = dbFile();
  const s = new LmdbStorage(file, { flushIntervalMs: 50 });
  await s.open();
  await s.putService(service('a'));
  s.touchService(service('a', 3000));
  const deadline = Date.now() + 5000;
  while (s.stats.touchBatches === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(s.stats.touchBatches, 1, 'timer wrote the batch');
  s.touchService(service('a', 4000));
  await s.close();

  const again = new LmdbStorage(file);
  await again.open();
  assert.equal((await again.loadServices())[0]!.lastHeartbeat, 4000, 'close flushed the last touch');
  await again.close();
});

test('a touched service deleted before the batch does not come back; a newer put wins over an older touch', async () => {
  const file = dbFile();
  const s = new LmdbStorage(file, { flushIntervalMs: 60_000 });
  await s.open();
  await s.putService(service('gone'));
  await s.putService(service('kept'));
  s.touchService(service('gone', 5000));
  s.touchService(service('kept', 5000));
  await s.deleteService('gone');
  await s.putService(service('kept', 9000));
  await s.close();

  const again = new LmdbStorage(file);
  await again.open();
  assert.deepEqual(
    (await again.loadServices()).map((r) => [r.serviceId, r.lastHeartbeat]),
    [['kept', 9000]],
  );
  await again.close();
});

test('a registry held by a live process is refused with the file, the pid and what to do; a dead holder is taken over', async () => {
  const file = dbFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const child = startChild('hold', file);
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  assert.match(ready, new RegExp(`READY ${child.pid}`));

  const s = new LmdbStorage(file);
  await assert.rejects(s.open(), (err: Error) => {
    assert.ok(err.message.includes(file), err.message);
    assert.ok(err.message.includes(`pid ${child.pid}`), err.message);
    assert.match(err.message, /stop that process|--db-path|--no-persistence/);
    return true;
  });

  child.kill('SIGKILL');
  await exited(child);
  assert.ok(fs.existsSync(`${file}.pid`), 'kill -9 leaves the lock file behind');
  await s.open(); // the stale lock of a dead pid is taken over
  assert.equal(fs.readFileSync(`${file}.pid`, 'utf8').split('\n')[0], String(process.pid));
  await s.close();
});

test('a lock file naming a dead pid, garbage, or a reused pid is stale', async () => {
  const file = dbFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const dead = spawn(process.execPath, ['-e', '0']);
  await exited(dead);
  const contents = [`${dead.pid}\n`, 'not a pid\n'];
  if (fs.existsSync('/proc/self/stat')) contents.push(`${process.pid}\n1\n`); // our pid, other start time
  for (const content of contents) {
    fs.writeFileSync(`${file}.pid`, content);
    const s = new LmdbStorage(file);
    await s.open();
    await s.close();
    assert.equal(fs.existsSync(`${file}.pid`), false, JSON.stringify(content));
  }
});

test('the same file opened twice in one process is refused', async () => {
  const file = dbFile();
  const a = new LmdbStorage(file);
  await a.open();
  await assert.rejects(new LmdbStorage(file).open(), /in use by another flowctl control plane/);
  await a.close();
});

test('files that are not a flowctl registry give a clear error instead of crashing', async () => {
  const cases: Array<[string, Buffer | string]> = [
    ['text', 'hello, this is not a database\n'],
    ['random', Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919 + 13) & 0xff))],
    ['zeros', Buffer.alloc(8192)],
  ];
  for (const [name, content] of cases) {
    const file = dbFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    const s = new LmdbStorage(file);
    await assert.rejects(s.open(), (err: Error) => {
      assert.ok(err.message.startsWith(`database file ${file} is not a valid flowctl registry (`), `${name}: ${err.message}`);
      assert.match(err.message, /move it away or pass --db-path \/ --no-persistence/);
      return true;
    });
    assert.equal(fs.existsSync(`${file}.pid`), false, `${name}: lock released after the failed open`);
  }

  // A folder where the file should be.
  const dirCase = dbFile();
  fs.mkdirSync(dirCase, { recursive: true });
  await assert.rejects(new LmdbStorage(dirCase).open(), /is not a valid flowctl registry \(it is a folder\)/);
});

test('an LMDB database of another program is refused', async () => {
  const file = dbFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { open } = await import('lmdb');
  const foreign = open({ path: file, noSubdir: true });
  await foreign.put('something-else', { x: 1 });
  await foreign.close();
  await assert.rejects(new LmdbStorage(file).open(), /is not a valid flowctl registry \(an LMDB database with other contents/);
});

test('an unusable folder gives a clear error', async () => {
  const blocker = path.join(tmpRoot, `plain-file-${n++}`);
  fs.writeFileSync(blocker, 'x');
  const file = path.join(blocker, 'sub', 'registry.lmdb');
  await assert.rejects(new LmdbStorage(file).open(), (err: Error) => {
    assert.ok(err.message.includes(path.join(blocker, 'sub')), err.message);
    assert.match(err.message, /--db-path.*--no-persistence/);
    return true;
  });
});

test('a putService that resolved survives kill -9 of the writer right after', async () => {
  const file = dbFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const child = startChild('puts', file);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const acked = await new Promise<string[]>((resolve, reject) => {
    const ids: string[] = [];
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ACK ')) ids.push(line.slice(4));
      }
      if (ids.length >= 25) {
        child.kill('SIGKILL'); // right after an acknowledged write, while more are in flight
        resolve(ids);
      }
    });
    child.once('exit', (code, sig) => {
      if (sig !== 'SIGKILL') reject(new Error(`writer exited early (${code}): ${stderr}`));
    });
  });
  await exited(child);
  assert.equal(child.signalCode, 'SIGKILL');

  const s = new LmdbStorage(file);
  await s.open(); // lock of the killed writer is stale
  assert.equal(s.lastCheckSkipped, false, 'a registry whose writer was killed is checked before it is opened');
  assert.ok(s.lastCheckMs !== undefined);
  const present = new Set((await s.loadServices()).map((r) => r.serviceId));
  for (const id of acked) assert.ok(present.has(id), `${id} was acknowledged but is missing after kill -9`);
  await s.close();
});
