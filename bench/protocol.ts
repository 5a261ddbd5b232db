/** What the runner (Node) and the bench page (Chromium) exchange. Times are the page's `performance.now()` ms. */

/** `xhr`: a raw XMLHttpRequest PUT with an upload.onprogress listener; `fetch`: a fetch PUT (the official chat
 * library's way); `ours`: the real `<AttachmentUploader>`. */
export type Method = 'xhr' | 'fetch' | 'ours';

export interface PageConfig {
  participantEndpoint: string;
  /** Handed over by `page.evaluate`, never through a URL. */
  connectionToken: string;
  /** The uploader's `maxFileSizeBytes` (the benchmark sends files larger than Connect's default). */
  maxFileSizeBytes: number;
}

export interface RunSpec {
  method: Method;
  /** Uploads that end the run. */
  files: number;
  /** Reference methods only; ours uses its default (3). */
  concurrency: number;
  /** Ours only: keep the mounted uploader and its list (the rows of earlier runs stay). */
  keep?: boolean;
}

/** One request, from `send()` (or `fetch()`) to the complete response. */
export interface Span {
  t0: number;
  t1: number;
}

export interface RunResult {
  method: Method;
  /** The `change` event of the file input: the moment the files are handed over. */
  handoverAt: number;
  /** `onUploaded` (ours), or the end of the reference's CompleteAttachmentUpload. */
  doneAt: number;
  starts: Span[];
  puts: Span[];
  completes: Span[];
  /** `Blob.arrayBuffer()` calls: reads of file content (ours reads the head for type detection). */
  reads: Span[];
  /** Raw XHR: upload progress events seen, and the last `loaded`. */
  referenceProgress: { events: number; bytes: number };
  attachmentIds: string[];
  /** The end of each React commit of the uploader (ours). */
  commits: number[];
  errors: string[];
}

export interface BenchApi {
  configure(config: PageConfig): void;
  /** Mounts the subject of the next run and resolves once it is committed and painted. */
  prepare(spec: RunSpec): Promise<void>;
  /** Resolves when the prepared run has uploaded its files (or failed). */
  result(): Promise<RunResult>;
  /** Unmounts everything (the uploader's queue is destroyed). */
  reset(): Promise<void>;
}

export const UPLOADER_INPUT = 'input.cau-input';
export const REFERENCE_INPUT = '#reference-input';
