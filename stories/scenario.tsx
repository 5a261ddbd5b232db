import { useEffect, useRef, useState, type ReactElement } from 'react';
import {
  AttachmentUploader,
  createMemoryBackend,
  type AttachmentUploaderProps,
  type MemoryBackend,
  type MemoryBackendOptions,
  type UploadStatus,
} from '../src/index';
import { dragFiles } from './queries';
import { StoryClock } from './story-clock';

/** The component's props a story sets; the backend, the clock and randomness come from the scenario. */
export type UploaderArgs = Omit<AttachmentUploaderProps, 'client' | 'put' | 'clock' | 'random'>;

/** What a scenario script drives: the in-memory backend, the files, and virtual time. */
export interface ScenarioWorld {
  readonly backend: MemoryBackend;
  /** Drags the files onto the drop zone and drops them (real DragEvents with a DataTransfer). */
  drop(...files: File[]): void;
  /** Runs virtual time, one timer at a time, until `done()` holds. */
  runUntil(done: () => boolean, what: string): Promise<void>;
  /** Runs until nothing waits on the clock and nothing else is in flight: every file done, failed or held. */
  settle(): Promise<void>;
  /** How many rows have this status. */
  count(status: UploadStatus): number;
  /** Clicks the row action with this accessible name, as a person would (e.g. "Cancel report.pdf"). */
  click(label: string): void;
}

export type ScenarioScript = (world: ScenarioWorld) => Promise<void>;

export interface ScenarioOptions {
  backend?: Omit<MemoryBackendOptions, 'clock'>;
  /**
   * After the script: `live` (default) lets time run on in real time, for play functions and people; `frozen`
   * stops it, so a waiting state (a retry countdown) stays exactly as the script left it.
   */
  afterwards?: 'live' | 'frozen';
}

type ScenarioState = 'running' | 'ready' | 'failed';

const noScript: ScenarioScript = async () => undefined;
// Jitter halfway through its window: the waits a story shows are the same on every run.
const halfway = () => 0.5;
// Give up on a script that does not reach its state: a story that hangs would hide the bug.
const SCRIPT_REAL_TIME_LIMIT_MS = 10_000;
const MAX_STEPS = 5_000;
const QUIET_MS = 30;

/** A story `render`: the uploader on an in-memory backend, brought into a state by `script`. */
export function scenario(script: ScenarioScript = noScript, options: ScenarioOptions = {}) {
  return function render(args: UploaderArgs): ReactElement {
    return <UploaderScenario args={args} script={script} options={options} />;
  };
}

function UploaderScenario({
  args,
  script,
  options,
}: {
  args: UploaderArgs;
  script: ScenarioScript;
  options: ScenarioOptions;
}): ReactElement {
  const [{ clock, backend }] = useState(() => {
    const storyClock = new StoryClock();
    return { clock: storyClock, backend: createMemoryBackend({ ...options.backend, clock: storyClock }) };
  });
  const frame = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<ScenarioState>('running');

  useEffect(() => {
    const unmounted = new AbortController();
    const root = () => {
      const node = frame.current?.querySelector<HTMLElement>('.cau');
      if (!node) throw new Error('The uploader is not rendered.');
      return node;
    };
    const startedAt = performance.now();
    let steps = 0;

    const runUntil = async (done: () => boolean, what: string) => {
      for (;;) {
        await nextTask();
        if (unmounted.signal.aborted) throw new Error('The story was unmounted.');
        if (done()) return;
        if (performance.now() - startedAt > SCRIPT_REAL_TIME_LIMIT_MS || ++steps > MAX_STEPS) {
          throw new Error(`The scenario never reached: ${what}.`);
        }
        // Nothing due on the clock: something real (a file being read) is under way.
        if (!clock.step()) await delay(5);
      }
    };

    // Nothing due on the clock and no file being read: every upload is done, failed, held or waiting its turn.
    const idle = () => clock.pending === 0 && !root().querySelector('.cau-item--checking');

    const world: ScenarioWorld = {
      backend,
      drop: (...files) => {
        for (const type of ['dragenter', 'dragover', 'drop'] as const) dragFiles(root(), type, files);
      },
      runUntil,
      settle: async () => {
        // Idle twice, a short real pause apart: no real work (a read, a render) was still on its way.
        do {
          await runUntil(idle, 'a settled state');
          await delay(QUIET_MS);
        } while (!idle());
      },
      count: (status) => root().querySelectorAll(`.cau-item--${status}`).length,
      click: (label) => {
        const button = [...root().querySelectorAll('button')].find((node) => node.getAttribute('aria-label') === label);
        if (!button) throw new Error(`No button "${label}".`);
        button.click();
      },
    };

    script(world).then(
      () => {
        if (unmounted.signal.aborted) return;
        if (options.afterwards !== 'frozen') clock.goLive();
        setState('ready');
      },
      (error: unknown) => {
        if (unmounted.signal.aborted) return;
        console.error(error);
        setState('failed');
      },
    );
    return () => unmounted.abort();
    // One run per mounted story; later arg changes (Controls) re-render the uploader only.
  }, []);

  return (
    <div ref={frame} data-scenario={state}>
      <AttachmentUploader {...args} client={backend.client} put={backend.put} clock={clock} random={halfway} />
    </div>
  );
}

/** One macrotask: promise callbacks (the engine's) and React's commit run before it ends. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => globalThis.setTimeout(resolve, ms));
}
