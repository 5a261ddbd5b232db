import { memo, useEffect, useRef, useState } from 'react';
import type { AttachmentClient, AttachmentStatus } from '../index';
// Not public API: the library's own rule for showing a file name (no bidi overrides or controls).
import { displayName } from '../react/format';
import type { TranscriptAttachment, TranscriptItem } from './chat-client';

/** GetAttachment URLs are fetched on each click and used at once: a short life is plenty. */
const DOWNLOAD_URL_EXPIRY_SECONDS = 60;
/** The object URL outlives the click long enough for the browser to start saving. */
const OBJECT_URL_LIFETIME_MS = 60_000;

const SCAN_WORDS: Record<AttachmentStatus, string> = {
  APPROVED: 'Scanned: clean',
  REJECTED: 'Rejected by the malware scan',
  IN_PROGRESS: 'Being scanned…',
  PROCESSING: 'Being scanned…',
  FAILED: 'Scan failed',
};

const EVENT_WORDS: Readonly<Record<string, (who: string) => string>> = {
  'application/vnd.amazonaws.connect.event.participant.joined': (who) => `${who} joined the chat`,
  'application/vnd.amazonaws.connect.event.participant.left': (who) => `${who} left the chat`,
  'application/vnd.amazonaws.connect.event.chat.ended': () => 'The chat ended',
};

export function Transcript({
  items,
  client,
  canDownload,
}: {
  items: readonly TranscriptItem[];
  client: AttachmentClient;
  /** False once the chat ended: the ConnectionToken no longer opens GetAttachment. */
  canDownload: boolean;
}) {
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Keep the newest item in view, as chat windows do.
    const node = list.current;
    if (node) node.scrollTop = node.scrollHeight;
  }, [items]);

  return (
    // role="log": a polite live region, so new messages are read out as they arrive. On a wrapper, not the list:
    // a list given another role leaves its items orphaned for assistive technology.
    <div ref={list} className="demo-transcript" role="log" aria-label="Transcript">
      <ol className="demo-transcript-list">
        {items.flatMap((item) => {
          const who = displayName(item.displayName ?? 'Someone');
          if (item.type === 'EVENT') {
            const words = EVENT_WORDS[item.contentType];
            return words ? [
              <li key={item.id} className="demo-item demo-item--event">
                {words(who)}
              </li>,
            ] : [];
          }
          if (item.type === 'ATTACHMENT') {
            return item.attachments.map((attachment) => (
              <AttachmentEntry key={`${item.id}/${attachment.attachmentId}`} who={who} time={item.time} attachment={attachment} client={client} canDownload={canDownload} />
            ));
          }
          if (item.content === undefined) return [];
          return [
            <li key={item.id} className="demo-item demo-item--message">
              <Meta who={who} time={item.time} />
              <p className="demo-text">{item.content}</p>
            </li>,
          ];
        })}
      </ol>
    </div>
  );
}

function Meta({ who, time }: { who: string; time: number }) {
  return (
    <span className="demo-meta">
      <span className="demo-who">{who}</span> <time dateTime={new Date(time).toISOString()}>{new Date(time).toLocaleTimeString()}</time>
    </span>
  );
}

/** One completed attachment in the transcript. */
const AttachmentEntry = memo(function AttachmentEntry({
  who,
  time,
  attachment,
  client,
  canDownload,
}: {
  who: string;
  time: number;
  attachment: TranscriptAttachment;
  client: AttachmentClient;
  canDownload: boolean;
}) {
  return (
    <li className="demo-item demo-item--attachment">
      <Meta who={who} time={time} />
      <StoredFile name={attachment.name} status={attachment.status} id={attachment.attachmentId} client={client} canDownload={canDownload} />
    </li>
  );
});

/**
 * A stored file (chat attachment or attached file): its name (as text), its scan status, and a download once
 * APPROVED that asks the client for a fresh URL on each click (the one seen earlier may have expired).
 */
export function StoredFile({
  name,
  status,
  id,
  client,
  canDownload = true,
}: {
  name: string;
  status: AttachmentStatus | undefined;
  id: string;
  client: AttachmentClient;
  canDownload?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const shown = displayName(name);

  const download = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { url } = await client.getAttachment(id, { urlExpiryInSeconds: DOWNLOAD_URL_EXPIRY_SECONDS });
      if (url === undefined) throw new Error('No download URL was given.');
      await saveFrom(url, name);
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="demo-file">
        <span className="demo-file-name">{shown}</span>
        <span className={`demo-scan demo-scan--${(status ?? 'unknown').toLowerCase()}`}>
          {status ? `${SCAN_WORDS[status]} (${status})` : 'Scan status unknown'}
        </span>
        {status === 'APPROVED' && canDownload ? (
          <button type="button" className="demo-download" onClick={() => void download()} disabled={busy} aria-label={`Download ${shown}`}>
            {busy ? 'Downloading…' : 'Download'}
          </button>
        ) : null}
      </div>
      {problem ? (
        <p className="demo-problem" role="alert">
          {problem}
        </p>
      ) : null}
    </>
  );
}

export function describeProblem(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/**
 * Fetches the presigned URL (as Amazon's chat library does) and saves the bytes under the attachment's name. A
 * failed fetch stays an error message in the widget instead of navigating the page to S3's XML error (and
 * losing the chat with it).
 */
async function saveFrom(url: string, name: string): Promise<void> {
  const response = await fetch(url, { credentials: 'omit', cache: 'no-store' });
  if (!response.ok) throw new Error(`The download failed: S3 answered ${response.status}.`);
  const objectUrl = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = objectUrl;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(objectUrl), OBJECT_URL_LIFETIME_MS);
}
