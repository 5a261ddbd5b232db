/**
 * `npm run bench` (`tsx bench/run.ts [--quick] [--out FILE] [--reduced-motion]`): the upload benchmarks of the component against a
 * raw XMLHttpRequest PUT and a fetch PUT, in headless Chromium against the emulator's S3, rounds alternating
 * the methods (the first method rotates each round), medians with min–max. Prints a table and writes
 * bench/RESULTS.md (a --quick run writes only with --out). See RESULTS.md for what each figure means.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright';
import { chromiumLaunchOptions } from '../e2e/chromium';
import { liveJsBytes, sparseMp4 } from '../e2e/measure';
import { startEmulator, type Emulator } from '../emulator/server';
import { buildPage, servePage, type PageServer } from './page-server';
import { cpuDelta, cpuTimes, type CpuTimes } from './probes';
import { REFERENCE_INPUT, UPLOADER_INPUT, type Method, type RunResult, type RunSpec } from './protocol';
import { collectEnvironment, renderReport, type BatchRun, type BenchData, type Plan, type RowsRun, type SingleRun } from './report';
import { measureBundle } from './size';
import { GiB, MiB, formatBytes } from './stats';

const REPO = fileURLToPath(new URL('../', import.meta.url));
/** The uploader's default; the reference batch runs at the same concurrency. */
const DEFAULT_CONCURRENCY = 3;
const SINGLE_METHODS: readonly Method[] = ['xhr', 'ours', 'fetch'];
const PAIR_METHODS: readonly Method[] = ['xhr', 'ours'];

const FULL: Plan = {
  quick: false,
  warmupRounds: 2,
  sizes: [
    { bytes: 16 * MiB, rounds: 10 },
    { bytes: 256 * MiB, rounds: 16 },
    { bytes: GiB, rounds: 4 },
  ],
  heap: { bytes: GiB, rounds: 2 },
  slowLink: { bytes: 32 * MiB, bytesPerSecond: 4 * MiB, rounds: 2 },
  slowStart: { bytes: MiB, latencyMs: 60, rounds: 10 },
  rows: { files: 99, bytes: 256 * MiB, rounds: 2 },
  // Eight: between runs the ratio of three rounds swung from 1.10 to 1.32 on this machine.
  batch: { files: 100, bytes: MiB, rounds: 8 },
};

const QUICK: Plan = {
  quick: true,
  warmupRounds: 1,
  sizes: [
    { bytes: 16 * MiB, rounds: 3 },
    { bytes: 64 * MiB, rounds: 2 },
    { bytes: 256 * MiB, rounds: 1 },
  ],
  heap: { bytes: 256 * MiB, rounds: 1 },
  slowLink: { bytes: 8 * MiB, bytesPerSecond: 4 * MiB, rounds: 1 },
  slowStart: { bytes: MiB, latencyMs: 60, rounds: 2 },
  rows: { files: 19, bytes: 64 * MiB, rounds: 1 },
  batch: { files: 20, bytes: MiB, rounds: 1 },
};

interface Env {
  page: Page;
  pageSession: CDPSession;
  browserSession: CDPSession;
  emulator: Emulator;
  contactId: string;
  fileDir: string;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Each round starts with the next method, so no method always runs first (or after the same one). */
function rotated(methods: readonly Method[], round: number): Method[] {
  const shift = round % methods.length;
  return [...methods.slice(shift), ...methods.slice(0, shift)];
}

const made = new Set<string>();
async function fileOf(env: Env, bytes: number, name = `upload-${formatBytes(bytes).replace(' ', '')}.mp4`): Promise<string> {
  const path = join(env.fileDir, name);
  if (!made.has(path)) made.add(await sparseMp4(path, bytes));
  return path;
}

async function filesOf(env: Env, count: number, bytes: number, prefix: string): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => fileOf(env, bytes, `${prefix}-${String(index + 1).padStart(3, '0')}.mp4`)));
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result after ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface Measured {
  result: RunResult;
  cpu: CpuTimes;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  /** Highest GC'd heap sampled during the upload (sampling runs only). */
  heapPeakLiveBytes?: number;
}

/** One run: mount the subject, hand the files to its input, wait for every upload, read the probes. */
async function measure(env: Env, spec: RunSpec, paths: readonly string[], totalBytes: number, sampleHeap = false): Promise<Measured> {
  const { page, pageSession, browserSession } = env;
  await page.evaluate((run) => window.__bench?.prepare(run), spec);
  const heapBeforeBytes = await liveJsBytes(pageSession);
  const cpuBefore = await cpuTimes(browserSession, pageSession);
  const finished = timeout(
    page.evaluate(() => {
      if (!window.__bench) throw new Error('The bench page did not load.');
      return window.__bench.result();
    }),
    // Anything slower than 5 MiB/s is broken, not slow.
    60_000 + (totalBytes / (5 * MiB)) * 1000,
    `${spec.method} ${formatBytes(totalBytes)}`,
  );
  let done = false;
  const settled = finished.then(
    () => (done = true),
    () => (done = true),
  );
  await page.locator(spec.method === 'ours' ? UPLOADER_INPUT : REFERENCE_INPUT).setInputFiles([...paths]);
  let heapPeakLiveBytes: number | undefined;
  if (sampleHeap) {
    heapPeakLiveBytes = heapBeforeBytes;
    while (!done) {
      await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 1000))]);
      if (!done) heapPeakLiveBytes = Math.max(heapPeakLiveBytes, await liveJsBytes(pageSession));
    }
  }
  const result = await finished;
  const cpu = cpuDelta(cpuBefore, await cpuTimes(browserSession, pageSession));
  const heapAfterBytes = await liveJsBytes(pageSession);
  // The emulator's S3 writes every object to disk: delete them as we go.
  // One at a time: s3rver's file store prunes emptied directories, and parallel deletes race on them.
  for (const id of result.attachmentIds) await env.emulator.s3.deleteObject(`chat/${env.contactId}/${id}`);
  if (result.errors.length > 0) throw new Error(`${spec.method}: ${result.errors.join('; ')}`);
  if (result.attachmentIds.length !== spec.files) throw new Error(`${spec.method}: ${result.attachmentIds.length} of ${spec.files} uploaded`);
  return { result, cpu, heapBeforeBytes, heapAfterBytes, ...(heapPeakLiveBytes !== undefined && { heapPeakLiveBytes }) };
}

function span(result: RunResult, kind: 'starts' | 'puts' | 'completes'): { t0: number; t1: number; ms: number } {
  const spans = result[kind];
  const first = spans[0];
  if (!first) throw new Error(`${result.method}: no ${kind} recorded`);
  // A single-file run without retries has one of each; more would mean a retry, which is part of the cost.
  return { t0: first.t0, t1: spans[spans.length - 1]?.t1 ?? first.t1, ms: spans.reduce((sum, s) => sum + (s.t1 - s.t0), 0) };
}

function commitsWithin(result: RunResult, from: number, to: number): number[] {
  return result.commits.filter((at) => at >= from && at <= to);
}

async function single(env: Env, method: Method, bytes: number, round: number, sampleHeap = false): Promise<SingleRun> {
  const path = await fileOf(env, bytes);
  const m = await measure(env, { method, files: 1, concurrency: 1 }, [path], bytes, sampleHeap);
  const { result } = m;
  const start = span(result, 'starts');
  const put = span(result, 'puts');
  const complete = span(result, 'completes');
  const transferMs = result.doneAt - result.handoverAt - start.ms - complete.ms;
  const commits = commitsWithin(result, put.t0, put.t1);
  const run: SingleRun = {
    method,
    bytes,
    round,
    startMs: start.ms,
    completeMs: complete.ms,
    putMs: put.t1 - put.t0,
    transferMs,
    firstByteMs: put.t0 - result.handoverAt - start.ms,
    beforeStartMs: start.t0 - result.handoverAt,
    headReadMs: result.reads.filter((read) => read.t1 <= start.t0).reduce((sum, read) => sum + (read.t1 - read.t0), 0),
    afterStartMs: put.t0 - start.t1,
    putToCompleteMs: complete.t0 - put.t1,
    completeToDoneMs: result.doneAt - complete.t1,
    cpu: m.cpu,
    heapRetainedBytes: m.heapAfterBytes - m.heapBeforeBytes,
    ...(m.heapPeakLiveBytes !== undefined && { heapPeakLiveGrowthBytes: m.heapPeakLiveBytes - m.heapBeforeBytes }),
    commitTimes: commits,
  };
  log(
    `  ${method.padEnd(5)} ${formatBytes(bytes).padStart(8)}  ${((bytes / MiB) / (transferMs / 1000)).toFixed(1).padStart(7)} MiB/s  ` +
      `first byte +${run.firstByteMs.toFixed(2)} ms (${run.beforeStartMs.toFixed(2)} + ${run.afterStartMs.toFixed(2)})  start ${start.ms.toFixed(1)} ms  complete ${complete.ms.toFixed(1)} ms  ` +
      `renderer ${m.cpu.processes.renderer.toFixed(0)} ms${method === 'ours' ? `  ${commits.length} commits` : ''}` +
      `${method === 'xhr' ? `  ${result.referenceProgress.events} progress events` : ''}${sampleHeap ? `  heap peak +${((run.heapPeakLiveGrowthBytes ?? 0) / 1024).toFixed(1)} KiB` : ''}`,
  );
  return run;
}

async function rows(env: Env, plan: Plan['rows'], round: number): Promise<RowsRun> {
  const small = await filesOf(env, plan.files, MiB, 'row');
  await measure(env, { method: 'ours', files: plan.files, concurrency: DEFAULT_CONCURRENCY }, small, plan.files * MiB);
  const big = await fileOf(env, plan.bytes);
  const m = await measure(env, { method: 'ours', files: 1, concurrency: 1, keep: true }, [big], plan.bytes);
  const put = span(m.result, 'puts');
  const commits = commitsWithin(m.result, put.t0, put.t1);
  log(`  rows  ${plan.files + 1} in the list, ${formatBytes(plan.bytes)} uploading: ${commits.length} commits in ${((put.t1 - put.t0) / 1000).toFixed(1)} s`);
  return { round, rowsInList: plan.files + 1, bytes: plan.bytes, putMs: put.t1 - put.t0, commitTimes: commits, cpu: m.cpu };
}

async function batch(env: Env, method: Method, plan: Plan['batch'], round: number): Promise<BatchRun> {
  const paths = await filesOf(env, plan.files, plan.bytes, 'batch');
  const m = await measure(env, { method, files: plan.files, concurrency: DEFAULT_CONCURRENCY }, paths, plan.files * plan.bytes);
  const totalMs = m.result.doneAt - m.result.handoverAt;
  const firstPut = m.result.puts.reduce((first, s) => Math.min(first, s.t0), Number.POSITIVE_INFINITY);
  const commits = commitsWithin(m.result, m.result.handoverAt, m.result.doneAt);
  const mean = (kind: 'starts' | 'puts' | 'completes') => m.result[kind].reduce((sum, s) => sum + (s.t1 - s.t0), 0) / m.result[kind].length;
  log(
    `  ${method.padEnd(5)} batch ${plan.files} × ${formatBytes(plan.bytes)}: ${(totalMs / 1000).toFixed(2)} s, ${commits.length} commits, ` +
      `per file: Start ${mean('starts').toFixed(1)} ms, PUT ${mean('puts').toFixed(1)} ms, Complete ${mean('completes').toFixed(1)} ms`,
  );
  return {
    method,
    round,
    files: plan.files,
    bytes: plan.bytes,
    totalMs,
    firstPutAfterMs: firstPut - m.result.handoverAt,
    meanStartMs: mean('starts'),
    meanPutMs: mean('puts'),
    meanCompleteMs: mean('completes'),
    commitTimes: commits,
    cpu: m.cpu,
  };
}

async function runScenarios(env: Env, plan: Plan, data: BenchData): Promise<void> {
  const smallest = plan.sizes[0]?.bytes ?? 16 * MiB;
  log(`warm-up: ${plan.warmupRounds} round(s) of ${formatBytes(smallest)}`);
  for (let round = 0; round < plan.warmupRounds; round++) {
    for (const method of rotated(SINGLE_METHODS, round)) await single(env, method, smallest, -1);
  }
  for (const { bytes, rounds } of plan.sizes) {
    log(`throughput, ${formatBytes(bytes)}: ${rounds} round(s)`);
    for (let round = 0; round < rounds; round++) {
      for (const method of rotated(SINGLE_METHODS, round)) data.single.push(await single(env, method, bytes, round));
    }
  }
  log(`heap, ${formatBytes(plan.heap.bytes)}: ${plan.heap.rounds} round(s), GC'd heap sampled every second`);
  for (let round = 0; round < plan.heap.rounds; round++) {
    for (const method of rotated(PAIR_METHODS, round)) data.heap.push(await single(env, method, plan.heap.bytes, round, true));
  }
  const { bytes: slowBytes, bytesPerSecond, rounds: slowRounds } = plan.slowLink;
  log(`slow link, ${formatBytes(slowBytes)} at ${formatBytes(bytesPerSecond)}/s: ${slowRounds} round(s)`);
  env.emulator.setFaults(env.contactId, { put: { bandwidthBytesPerSecond: bytesPerSecond } });
  try {
    for (let round = 0; round < slowRounds; round++) {
      for (const method of rotated(PAIR_METHODS, round)) data.slowLink.push(await single(env, method, slowBytes, round));
    }
  } finally {
    env.emulator.setFaults(env.contactId, { put: { bandwidthBytesPerSecond: 0 } });
  }
  const { bytes: startBytes, latencyMs, rounds: startRounds } = plan.slowStart;
  log(`Start answered ${latencyMs} ms late, ${formatBytes(startBytes)}: ${startRounds} round(s)`);
  env.emulator.setFaults(env.contactId, { startLatencyMs: latencyMs });
  try {
    for (let round = 0; round < startRounds; round++) {
      for (const method of rotated(PAIR_METHODS, round)) data.slowStart.push(await single(env, method, startBytes, round));
    }
  } finally {
    env.emulator.setFaults(env.contactId, { startLatencyMs: null });
  }
  log(`commits with ${plan.rows.files + 1} files in the list: ${plan.rows.rounds} round(s)`);
  for (let round = 0; round < plan.rows.rounds; round++) data.rows.push(await rows(env, plan.rows, round));
  log(`batch of ${plan.batch.files} × ${formatBytes(plan.batch.bytes)} at concurrency ${DEFAULT_CONCURRENCY}: ${plan.batch.rounds} round(s)`);
  for (let round = 0; round < plan.batch.rounds; round++) {
    for (const method of rotated(PAIR_METHODS, round)) data.batch.push(await batch(env, method, plan.batch, round));
  }
  await env.page.evaluate(() => window.__bench?.reset());
}

async function main(): Promise<void> {
  // As in the demo server: the AWS SDK's notice about Node 22 would sit in the middle of the figures.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      // Diagnostic: turns off the stylesheet's transitions (prefers-reduced-motion), to see what they cost.
      'reduced-motion': { type: 'boolean', default: false },
    },
  });
  const reducedMotion = values['reduced-motion'];
  const plan = values.quick ? QUICK : FULL;
  const out = values.out ?? (plan.quick ? undefined : join(REPO, 'bench/RESULTS.md'));
  const startedAt = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'cau-bench-'));
  let browser: Browser | undefined;
  let emulator: Emulator | undefined;
  let server: PageServer | undefined;
  try {
    log('bundle: building the library from src/ and measuring it with size-limit');
    const bundle = await measureBundle(REPO, work);
    log('page: building bench/page with Vite');
    const pageOut = join(work, 'page');
    await buildPage(join(REPO, 'bench/page'), pageOut);
    server = await servePage(pageOut);
    const fileDir = join(work, 'files');
    await mkdir(fileDir);
    emulator = await startEmulator({
      dataDir: join(work, 's3'),
      maxAttachmentSizeBytes: 2 * GiB,
      attachmentQuota: 1_000_000,
      // A slow 1 GiB run must not outlive its URL.
      urlExpirySeconds: 3600,
      // The simulated malware scan reads every object on Complete: not what is measured here.
      scanAttachment: () => 'APPROVED',
    });
    const chat = await emulator.startChat();
    browser = await chromium.launch(chromiumLaunchOptions);
    const page = await browser.newPage({ reducedMotion: reducedMotion ? 'reduce' : 'no-preference' });
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => window.__bench !== undefined);
    await page.evaluate((config) => window.__bench?.configure(config), {
      participantEndpoint: emulator.participantEndpoint,
      connectionToken: chat.connectionToken,
      maxFileSizeBytes: 2 * GiB,
    });
    const pageSession = await page.context().newCDPSession(page);
    await pageSession.send('Performance.enable');
    const browserSession = await browser.newBrowserCDPSession();
    const env: Env = { page, pageSession, browserSession, emulator, contactId: chat.contactId, fileDir };
    const data: BenchData = {
      plan,
      reducedMotion,
      environment: await collectEnvironment(REPO, browser.version()),
      bundle,
      single: [],
      heap: [],
      slowLink: [],
      slowStart: [],
      rows: [],
      batch: [],
      durationMs: 0,
    };
    await runScenarios(env, plan, data);
    data.durationMs = Date.now() - startedAt;
    data.environment.loadAverageAfter = loadavg();
    const report = renderReport(data);
    process.stdout.write(`${report.markdown}\n`);
    if (out) {
      await writeFile(out, report.markdown);
      log(`wrote ${out}`);
    }
  } finally {
    await browser?.close();
    await server?.close();
    await emulator?.close();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
