// rootPidOfPeer finds which spawned process (or its descendant) owns a client connection, through /proc.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { spawn } from 'node:child_process';
import { rootPidOfPeer } from '../../src/core/runner/peerPid';
import { processOfPeer } from '../../src/core/controlplane/peerProcess';

test('a connection from a grandchild process is attributed to the child we spawned', { skip: process.platform !== 'linux' }, async (t) => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  // child = a shell; grandchild = node that connects and stays connected.
  const script = `const s=require('net').connect(${port},'127.0.0.1',()=>console.log('connected'));setInterval(()=>{},1000)`;
  const child = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(script)}`], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const other = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  t.after(() => {
    process.kill(-child.pid!, 'SIGKILL'); // the whole group: shell and grandchild
    other.kill('SIGKILL');
    for (const s of sockets) s.destroy();
    server.close();
  });
  await new Promise<void>((r) => child.stdout!.once('data', () => r()));
  while (sockets.length === 0) await new Promise((r) => setTimeout(r, 10));
  const peer = `ipv4:127.0.0.1:${sockets[0].remotePort}`;
  assert.equal(await rootPidOfPeer(peer, port, [other.pid!, child.pid!]), child.pid);
  assert.equal(await rootPidOfPeer(peer, port, [other.pid!]), undefined, 'not attributed to an unrelated process');
  assert.equal(await rootPidOfPeer('ipv4:127.0.0.1:1', port, [child.pid!]), undefined, 'unknown port');
});

test('processOfPeer: the likely processes are looked at first, and a wrong guess still finds the real holder', { skip: process.platform !== 'linux' }, async (t) => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const script = `require('net').connect(${port},'127.0.0.1',()=>console.log('connected'));setInterval(()=>{},1000)`;
  const client = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const other = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  t.after(() => {
    client.kill('SIGKILL');
    other.kill('SIGKILL');
    for (const s of sockets) s.destroy();
    server.close();
  });
  await new Promise<void>((r) => client.stdout!.once('data', () => r()));
  while (sockets.length === 0) await new Promise((r) => setTimeout(r, 10));
  const peer = `ipv4:127.0.0.1:${sockets[0].remotePort}`;
  let asked = 0;
  const hit = await processOfPeer(peer, port, () => {
    asked++;
    return [other.pid!, client.pid!];
  });
  assert.equal(hit.pid, client.pid, 'found among the likely processes');
  assert.equal(asked, 1, 'the hint is asked once per lookup batch');
  // A guess that holds no such socket: the /proc walk still finds the client.
  assert.equal((await processOfPeer(peer, port, () => [other.pid!])).pid, client.pid);
  assert.equal((await processOfPeer(peer, port)).pid, client.pid, 'and without a hint, as before');
  assert.equal((await processOfPeer('ipv4:127.0.0.1:1', port, () => [client.pid!])).pid, undefined, 'unknown port');
});

test('processOfPeer: IPv6 peers, a peer string naming the other family (the other socket table is read too), and a holder with 400 fds are found', { skip: process.platform !== 'linux' }, async (t) => {
  const sockets: net.Socket[] = [];
  const v4 = net.createServer((s) => sockets.push(s));
  const v6 = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => v4.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => v6.listen(0, '::1', r));
  const p4 = (v4.address() as net.AddressInfo).port;
  const p6 = (v6.address() as net.AddressInfo).port;
  // One client with an IPv4 and an IPv6 connection and 400 more open fds (above the synchronous bound).
  const script = `const net=require('net'),fs=require('fs');const keep=[];for(let i=0;i<400;i++)keep.push(fs.openSync('/dev/null','r'));
let n=0;const done=()=>{if(++n===2)console.log('connected')};net.connect(${p4},'127.0.0.1',done);net.connect(${p6},'::1',done);setInterval(()=>{},1000)`;
  const client = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    client.kill('SIGKILL');
    for (const s of sockets) s.destroy();
    v4.close();
    v6.close();
  });
  await new Promise<void>((r) => client.stdout!.once('data', () => r()));
  while (sockets.length < 2) await new Promise((r) => setTimeout(r, 10));
  const s4 = sockets.find((s) => s.localPort === p4)!;
  const s6 = sockets.find((s) => s.localPort === p6)!;
  const likely = () => [client.pid!];
  assert.equal((await processOfPeer(`ipv6:[::1]:${s6.remotePort}`, p6, likely)).pid, client.pid, 'an IPv6 connection');
  assert.equal((await processOfPeer(`ipv4:127.0.0.1:${s4.remotePort}`, p4, likely)).pid, client.pid, 'an IPv4 connection from a process with 400+ fds');
  // What a dual-stack server calls an IPv4 client; and a peer string whose family is wrong: the other table is read too.
  assert.equal((await processOfPeer(`ipv6:[::ffff:127.0.0.1]:${s4.remotePort}`, p4, likely)).pid, client.pid, 'a v4-mapped peer');
  assert.equal((await processOfPeer(`ipv6:[::1]:${s4.remotePort}`, p4, likely)).pid, client.pid, 'family hint wrong');
  assert.equal((await processOfPeer(`ipv4:127.0.0.1:${s6.remotePort}`, p6)).pid, client.pid, 'family hint wrong, no likely processes');
  // Many lookups at once: each gets its own answer.
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => processOfPeer(i % 2 ? `ipv4:127.0.0.1:${s4.remotePort}` : `ipv6:[::1]:${s6.remotePort}`, i % 2 ? p4 : p6, likely)));
  assert.deepEqual(new Set(answers.map((a) => a.pid)), new Set([client.pid]));
});
