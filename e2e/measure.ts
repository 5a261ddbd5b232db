/**
 * What the browser tests and the benchmarks (bench/) share to hold the memory budget: big disk-backed files that
 * take no disk space, and the page's JS memory as the budget counts it.
 */
import { open } from 'node:fs/promises';
import type { CDPSession } from 'playwright';

/** A sparse file whose first bytes make it an MP4 (an ftyp box): no disk space, nothing for the page to read. */
export async function sparseMp4(path: string, bytes: number): Promise<string> {
  const handle = await open(path, 'w');
  try {
    const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 28]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2mp41')]);
    await handle.write(ftyp, 0, ftyp.length, 0);
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
  return path;
}

/**
 * The page's live JS memory: V8's heap plus the backing stores of its ArrayBuffers, after a full GC. The heap
 * alone (DevTools' "JS heap") would not show a file read into memory: its bytes live in a backing store, outside it.
 */
export async function liveJsBytes(pageSession: CDPSession): Promise<number> {
  // A full GC first, twice: the first pass can leave objects that only die once their finalizers ran.
  await pageSession.send('HeapProfiler.collectGarbage');
  await pageSession.send('HeapProfiler.collectGarbage');
  const { usedSize, backingStorageSize } = await pageSession.send('Runtime.getHeapUsage');
  return usedSize + backingStorageSize;
}
