import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const STARTUP_TIMEOUT_MS = 120_000;

/**
 * Starts the demo exactly as `npm start` does (src/demo/server.ts, its own build and emulator), on a free port
 * and with throwaway data, and hands its URL to the tests as DEMO_URL. Returns the teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'demo-e2e-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/demo/server.ts', '--port', '0', '--data-dir', join(dir, 'data'), '--out-dir', join(dir, 'web')],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    process.env['DEMO_URL'] = await readyUrl(child);
  } catch (error) {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return async () => {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  };
}

/** The URL from the server's first line (`Connect attachment demo: http://127.0.0.1:PORT/`). */
function readyUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`The demo server did not start: ${why}\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`no URL within ${STARTUP_TIMEOUT_MS / 1000} s`), STARTUP_TIMEOUT_MS);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = /^Connect attachment demo: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => fail(`it exited with code ${code}`));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
