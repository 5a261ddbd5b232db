/**
 * What the runner reads around each upload: CPU time of Chromium's processes (per thread, from
 * /proc/<pid>/task/<tid>/schedstat, in nanoseconds: far finer than the 10 ms ticks of /proc/<pid>/stat or CDP's
 * SystemInfo cpuTime) and the page's main-thread task time (CDP Performance). The page's JS memory: e2e/measure.ts.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { CDPSession } from 'playwright';

export type ProcessKind = 'renderer' | 'browser' | 'gpu' | 'network' | 'other';

/** CPU milliseconds by process kind, plus the page's main thread and this Node process (the emulator's S3). */
export interface CpuTimes {
  processes: Record<ProcessKind, number>;
  /** CDP Performance TaskDuration of the page's main thread, and its Script, Layout and RecalcStyle parts. */
  pageTaskMs: number;
  pageScriptMs: number;
  pageLayoutMs: number;
  pageStyleMs: number;
  /** This process: the emulator and its S3 server (s3rver) run here. */
  nodeMs: number;
}

function kindOf(type: string): ProcessKind {
  if (type === 'renderer' || type === 'browser') return type;
  if (type === 'GPU') return 'gpu';
  if (type.includes('NetworkService')) return 'network';
  return 'other';
}

async function processCpuNs(pid: number): Promise<number> {
  let tids: string[];
  try {
    tids = await readdir(`/proc/${pid}/task`);
  } catch {
    return 0; // the process is gone
  }
  let total = 0;
  for (const tid of tids) {
    const text = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '0');
    total += Number(text.split(' ')[0]) || 0;
  }
  return total;
}

export async function cpuTimes(browserSession: CDPSession, pageSession: CDPSession): Promise<CpuTimes> {
  const [{ processInfo }, { metrics }] = await Promise.all([
    browserSession.send('SystemInfo.getProcessInfo'),
    pageSession.send('Performance.getMetrics'),
  ]);
  const processes: Record<ProcessKind, number> = { renderer: 0, browser: 0, gpu: 0, network: 0, other: 0 };
  for (const info of processInfo) processes[kindOf(info.type)] += (await processCpuNs(info.id)) / 1e6;
  const metric = (name: string) => (metrics.find((entry) => entry.name === name)?.value ?? 0) * 1000;
  const usage = process.cpuUsage();
  return {
    processes,
    pageTaskMs: metric('TaskDuration'),
    pageScriptMs: metric('ScriptDuration'),
    pageLayoutMs: metric('LayoutDuration'),
    pageStyleMs: metric('RecalcStyleDuration'),
    nodeMs: (usage.user + usage.system) / 1000,
  };
}

export function cpuDelta(before: CpuTimes, after: CpuTimes): CpuTimes {
  const processes = { ...after.processes };
  for (const kind of Object.keys(processes) as ProcessKind[]) processes[kind] -= before.processes[kind];
  return {
    processes,
    pageTaskMs: after.pageTaskMs - before.pageTaskMs,
    pageScriptMs: after.pageScriptMs - before.pageScriptMs,
    pageLayoutMs: after.pageLayoutMs - before.pageLayoutMs,
    pageStyleMs: after.pageStyleMs - before.pageStyleMs,
    nodeMs: after.nodeMs - before.nodeMs,
  };
}
