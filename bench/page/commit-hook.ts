/**
 * Counts React commits in React's plain production build, whose `<Profiler>` reports nothing: react-dom tells a
 * DevTools global hook about every commit when one is installed before react-dom loads. The profiling build would
 * count them too, but costs the page ~20 % more CPU, which is what the bench measures. Import this module first.
 */

type CommitListener = (at: number) => void;

interface DevToolsHook {
  readonly supportsFiber: true;
  readonly isDisabled: false;
  readonly renderers: Map<number, unknown>;
  inject(internals: unknown): number;
  onCommitFiberRoot(): void;
  onCommitFiberUnmount(): void;
  onPostCommitFiberRoot(): void;
}

declare global {
  interface Window {
    __REACT_DEVTOOLS_GLOBAL_HOOK__?: DevToolsHook;
  }
}

let listener: CommitListener | undefined;

const hook: DevToolsHook = {
  supportsFiber: true,
  isDisabled: false,
  renderers: new Map(),
  inject(internals) {
    const id = hook.renderers.size + 1;
    hook.renderers.set(id, internals);
    return id;
  },
  onCommitFiberRoot: () => listener?.(performance.now()),
  onCommitFiberUnmount: () => undefined,
  onPostCommitFiberRoot: () => undefined,
};
window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = hook;

/** Calls `next` with `performance.now()` at the end of every commit; throws if react-dom did not attach. */
export function listenToCommits(next: CommitListener): void {
  if (hook.renderers.size === 0) throw new Error('react-dom loaded before the commit hook: import bench/page/commit-hook first.');
  listener = next;
}
