import type { Clock } from '../src/index';

interface Timer {
  at: number;
  callback: () => void;
  /** Set once the clock runs in real time. */
  real?: ReturnType<typeof globalThis.setTimeout>;
}

/**
 * Time for stories. While a story's scenario runs, time is virtual and jumps from one timer to the next (`step`),
 * so a minute of retries takes milliseconds and ends in the same state on every machine. Afterwards it either
 * stands still — a countdown such as "retrying in 5 s" stays on screen — or runs on in real time (`goLive`), so a
 * person or a play function can cancel, retry or pick more files.
 */
export class StoryClock implements Clock {
  private current = Date.UTC(2026, 0, 15, 9, 30, 0);
  /** Real time minus virtual time, once live. */
  private liveOffset: number | undefined;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return this.liveOffset === undefined ? this.current : Date.now() - this.liveOffset;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    const timer: Timer = { at: this.now() + Math.max(0, ms), callback };
    this.timers.set(id, timer);
    if (this.liveOffset !== undefined) this.startReal(id, timer);
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle !== 'number') return;
    const timer = this.timers.get(handle);
    if (timer?.real !== undefined) globalThis.clearTimeout(timer.real);
    this.timers.delete(handle);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** Virtual time only: moves to the earliest timer and fires it (ties in the order they were set). */
  step(): boolean {
    if (this.liveOffset !== undefined) throw new Error('The story clock already runs in real time.');
    let next: [number, Timer] | undefined;
    for (const entry of this.timers) if (!next || entry[1].at < next[1].at) next = entry;
    if (!next) return false;
    const [id, timer] = next;
    this.timers.delete(id);
    this.current = Math.max(this.current, timer.at);
    timer.callback();
    return true;
  }

  /** From now on time runs at the real pace, continuing from the virtual instant reached. */
  goLive(): void {
    if (this.liveOffset !== undefined) return;
    this.liveOffset = Date.now() - this.current;
    for (const [id, timer] of this.timers) this.startReal(id, timer);
  }

  private startReal(id: number, timer: Timer): void {
    timer.real = globalThis.setTimeout(() => {
      this.timers.delete(id);
      timer.callback();
    }, Math.max(0, timer.at - this.now()));
  }
}
