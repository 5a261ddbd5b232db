/**
 * Per-scope faults for PUTs to the local S3 (a scope is the second segment of the object key, e.g. the contact id
 * in `chat/<contactId>/<attachmentId>`, or an associated resource's `res-<hash>` in `attached-files/…`), so each test
 * or demo session breaks only its own uploads.
 */

export interface PutFaults {
  /** Answer the next `count` PUTs with `status` and an S3 XML error (`code` defaults from the status). */
  failNext?: { count: number; status: number; code?: string };
  /** Destroy the TCP connection (RST) of the next `count` PUTs after `afterBytes` body bytes. */
  resetNext?: { count: number; afterBytes: number };
  /** Stop reading the next `count` PUTs after `afterBytes` body bytes and never answer them. */
  stallNext?: { count: number; afterBytes: number };
  /** Throttle every PUT body of the scope to this rate (0 or undefined = unlimited). */
  bandwidthBytesPerSecond?: number;
}

export interface PutFaultStats {
  /** PUTs received for the scope. */
  puts: number;
  /** PUTs answered with a non-2xx status: injected failures and S3's own refusals (e.g. SignatureDoesNotMatch). */
  failed: number;
  /** Injected connection resets. */
  resets: number;
  /** Injected stalls. */
  stalls: number;
  /** PUTs S3 answered with 2xx. */
  succeeded: number;
}

/** The fault to apply to one PUT, as consumed from the registry. */
export type PutFault =
  | { kind: 'fail'; status: number; code: string }
  | { kind: 'reset'; afterBytes: number }
  | { kind: 'stall'; afterBytes: number };

const DEFAULT_CODES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  403: 'AccessDenied',
  404: 'NoSuchKey',
  408: 'RequestTimeout',
  409: 'OperationAborted',
  411: 'MissingContentLength',
  412: 'PreconditionFailed',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'SlowDown',
};

/** The error code S3 uses with a status, for failures configured without one. */
function defaultErrorCode(status: number): string {
  return DEFAULT_CODES[status] ?? (status >= 500 ? 'InternalError' : 'InvalidRequest');
}

export class PutFaultRegistry {
  private readonly faults = new Map<string, PutFaults>();
  private readonly counters = new Map<string, PutFaultStats>();

  /** Replaces the scope's faults. */
  set(scope: string, faults: PutFaults): void {
    validate(faults);
    this.faults.set(scope, structuredClone(faults));
  }

  /** Changes only the given fields of the scope's faults (an explicit `undefined` removes one). */
  update(scope: string, faults: Partial<PutFaults>): void {
    this.set(scope, { ...this.get(scope), ...faults });
  }

  /** A copy of the scope's remaining faults. */
  get(scope: string): PutFaults {
    return structuredClone(this.faults.get(scope) ?? {});
  }

  /** Forgets the faults and statistics of one scope, or of every scope. */
  clear(scope?: string): void {
    if (scope === undefined) {
      this.faults.clear();
      this.counters.clear();
    } else {
      this.faults.delete(scope);
      this.counters.delete(scope);
    }
  }

  stats(scope: string): PutFaultStats {
    return { ...this.counter(scope) };
  }

  /** Counts a PUT of the scope and consumes the fault that applies to it: fail first, then reset, then stall. */
  take(scope: string): PutFault | undefined {
    const stats = this.counter(scope);
    stats.puts++;
    const faults = this.faults.get(scope);
    if (!faults) return undefined;
    const { failNext, resetNext, stallNext } = faults;
    if (failNext && failNext.count > 0) {
      if (--failNext.count === 0) delete faults.failNext;
      stats.failed++;
      return { kind: 'fail', status: failNext.status, code: failNext.code ?? defaultErrorCode(failNext.status) };
    }
    if (resetNext && resetNext.count > 0) {
      if (--resetNext.count === 0) delete faults.resetNext;
      stats.resets++;
      return { kind: 'reset', afterBytes: resetNext.afterBytes };
    }
    if (stallNext && stallNext.count > 0) {
      if (--stallNext.count === 0) delete faults.stallNext;
      stats.stalls++;
      return { kind: 'stall', afterBytes: stallNext.afterBytes };
    }
    return undefined;
  }

  /** Records S3's answer to a PUT of the scope that no fault intercepted. */
  recordAnswer(scope: string, status: number): void {
    const stats = this.counter(scope);
    if (status >= 200 && status < 300) stats.succeeded++;
    else stats.failed++;
  }

  private counter(scope: string): PutFaultStats {
    let stats = this.counters.get(scope);
    if (!stats) {
      stats = { puts: 0, failed: 0, resets: 0, stalls: 0, succeeded: 0 };
      this.counters.set(scope, stats);
    }
    return stats;
  }
}

function validate(faults: PutFaults): void {
  const { failNext, resetNext, stallNext, bandwidthBytesPerSecond } = faults;
  for (const fault of [failNext, resetNext, stallNext]) {
    if (fault && !(Number.isInteger(fault.count) && fault.count >= 0)) throw new RangeError('fault count must be an integer >= 0');
  }
  if (failNext && !(Number.isInteger(failNext.status) && failNext.status >= 400 && failNext.status <= 599)) {
    throw new RangeError('failNext.status must be an HTTP error status (400-599)');
  }
  for (const fault of [resetNext, stallNext]) {
    if (fault && !(Number.isInteger(fault.afterBytes) && fault.afterBytes >= 0)) throw new RangeError('afterBytes must be an integer >= 0');
  }
  if (bandwidthBytesPerSecond !== undefined && !(bandwidthBytesPerSecond >= 0)) {
    throw new RangeError('bandwidthBytesPerSecond must be >= 0');
  }
}
