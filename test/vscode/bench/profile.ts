// CPU profile of the extension host (node:inspector, in-process: no port is opened) around one
// phase of the bench, summarised as the functions with the most self time. Optional (BENCH_PROFILE=1).
import * as inspector from 'node:inspector';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface HotFunction {
  fn: string;
  where: string;
  selfMs: number;
  percent: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
}

/**
 * Runs `body` under the CPU profiler; returns its result and the `top` functions by self time. With
 * `saveAs`, the whole profile is also written there (a .cpuprofile: open it in Chrome DevTools or
 * VS Code to see who calls what).
 */
export async function profiled<T>(body: () => Promise<T>, top = 10, saveAs?: string): Promise<{ result: T; hot: HotFunction[] }> {
  const session = new inspector.Session();
  session.connect();
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 1000 });
    await post(session, 'Profiler.start');
    let result: T;
    let profile: Profile;
    try {
      result = await body();
    } finally {
      profile = (await post<{ profile: Profile }>(session, 'Profiler.stop')).profile;
      if (saveAs) {
        fs.mkdirSync(path.dirname(saveAs), { recursive: true });
        fs.writeFileSync(saveAs, JSON.stringify(profile));
      }
    }
    return { result, hot: summarise(profile, top) };
  } finally {
    session.disconnect();
  }
}

function summarise(profile: Profile, top: number): HotFunction[] {
  const totalSamples = profile.samples?.length ?? profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const msPerSample = totalSamples ? (profile.endTime - profile.startTime) / 1000 / totalSamples : 0;
  const byFn = new Map<string, HotFunction>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits || node.callFrame.functionName === '(idle)') continue; // idle is not work
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
    const key = `${fn}@${where}`;
    const entry = byFn.get(key) ?? { fn, where, selfMs: 0, percent: 0 };
    entry.selfMs += hits * msPerSample;
    byFn.set(key, entry);
  }
  return [...byFn.values()]
    .map((e) => ({ ...e, selfMs: Math.round(e.selfMs), percent: totalSamples ? Math.round((e.selfMs / msPerSample / totalSamples) * 1000) / 10 : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
}
