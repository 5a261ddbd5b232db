import { forwardRef, memo, useEffect, useId, useImperativeHandle, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { isInProgress, type UploadItem } from '../core/queue';
import type { ResolvedRules } from '../core/validate';
import { displayName } from './format';
import {
  describeItemError,
  describeLimits,
  describeStatus,
  secondsUntilRetry,
  type AttachmentUploaderMessages,
} from './messages';
import { useAttachmentUploader, type UseAttachmentUploaderOptions } from './useAttachmentUploader';

export interface AttachmentUploaderProps extends UseAttachmentUploaderOptions {
  /** Added to the root's `cau` class; add `cau--dark` (or rely on prefers-color-scheme) for the dark theme. */
  className?: string;
}

/** What a `ref` on the component gives: e.g. files pasted into the host's chat input, or its own attach button. */
export interface AttachmentUploaderHandle {
  addFiles(files: Iterable<File> | ArrayLike<File>): readonly UploadItem[];
  openFilePicker(): void;
}

// Focus is put back before paint, so <body> never shows it. Server rendering has no document and runs no effect,
// and React 18 warns about a layout effect there: a plain effect takes its place.
const useLayoutEffectInBrowser = typeof document === 'undefined' ? useEffect : useLayoutEffect;

/**
 * Drop, paste or pick files and upload them as Connect attachments. The zone is not itself a control: the
 * button inside it is (so Enter and Space work, and nothing interactive is nested). Styles: `styles.css`.
 */
// forwardRef rather than React 19's ref-as-prop: the peer range includes React 18. Marked pure (as the row is), so
// a host that uses only the hook gets no component.
export const AttachmentUploader = /* @__PURE__ */ forwardRef<AttachmentUploaderHandle, AttachmentUploaderProps>(function AttachmentUploader(
  { className, ...options },
  ref,
) {
  const uploader = useAttachmentUploader(options);
  const { items, messages, rules, now, isDragActive, leftOut, cancel, retry, remove, addFiles, openFilePicker } = uploader;
  useImperativeHandle(ref, () => ({ addFiles, openFilePicker }), [addFiles, openFilePicker]);
  // The queue's methods: stable, so the memoized rows keep their props.
  const actions = useMemo(() => ({ cancel, retry, remove }), [cancel, retry, remove]);
  const multiple = options.multiple ?? true;
  const id = useId();
  const promptId = `${id}-prompt`;
  const limitsId = `${id}-limits`;
  const classes = ['cau', isDragActive && 'cau--drag-active', options.disabled && 'cau--disabled', className];
  // Depends only on the rules and the words, not on the uploads: not worked out again on every progress render.
  const limits = useMemo(() => describeLimits(rules, messages), [rules, messages]);

  // The same element while the input's props stay the same: React re-applies an <input>'s type and name whenever
  // it updates one, and each progress render would.
  const inputProps = uploader.getInputProps();
  const input = useMemo(() => <input {...inputProps} className="cau-input" />, [inputProps]);

  // A row's buttons change with its status and go with the row: a focused one would drop focus to <body>. Which row
  // has focus is read here, in render, before React changes the list (as getSnapshotBeforeUpdate would). After the
  // commit, and only if focus fell to <body>, it goes to the first button of the row now in that place (the same
  // row, or the next one after a Remove), else of the row before, else to Choose files.
  const list = useRef<HTMLUListElement>(null);
  const choose = useRef<HTMLButtonElement>(null);
  // One lookup, not one per row: this runs on every render, progress renders included.
  const focused = list.current
    ? Array.from<Element | null | undefined>(list.current.children).indexOf(document.activeElement?.closest('li'))
    : -1;
  useLayoutEffectInBrowser(() => {
    const rows = list.current?.children;
    if (focused >= 0 && document.activeElement === document.body) {
      ((rows?.[focused] ?? rows?.[focused - 1])?.querySelector('button') ?? choose.current)?.focus();
    }
  });

  return (
    <div {...uploader.getRootProps()} className={classes.filter(Boolean).join(' ')}>
      <div className="cau-zone">
        <p className="cau-prompt" id={promptId}>
          {isDragActive ? messages.dropActive : multiple ? messages.dropPrompt : messages.dropPromptSingle}
        </p>
        <button {...uploader.getButtonProps()} ref={choose} className="cau-button" aria-describedby={`${promptId} ${limitsId}`}>
          {multiple ? messages.chooseFiles : messages.chooseFile}
        </button>
        <p className="cau-limits" id={limitsId}>
          {limits}
        </p>
        {input}
      </div>
      {leftOut ? <p className="cau-notice">{messages.onlyOneFile({ ignored: leftOut })}</p> : null}
      {items.length > 0 ? (
        <ul className="cau-list" aria-label={messages.fileList} ref={list}>
          {items.map((item) => (
            <UploadRow
              key={item.id}
              item={item}
              // Only waiting rows get a countdown, and it changes once a second: other rows keep their props.
              secondsLeft={secondsUntilRetry(item, now)}
              rules={rules}
              messages={messages}
              actions={actions}
            />
          ))}
        </ul>
      ) : null}
      <div className="cau-live" aria-live="polite">
        {uploader.announcement}
      </div>
    </div>
  );
});

type Action = 'cancel' | 'retry' | 'remove';

interface UploadRowProps {
  item: UploadItem;
  secondsLeft: number;
  rules: ResolvedRules;
  messages: AttachmentUploaderMessages;
  actions: Record<Action, (id: string) => void>;
}

/** One file; memoized so a progress tick re-renders only the rows whose item object changed. */
const UploadRow = /* @__PURE__ */ memo(function UploadRow({ item, secondsLeft, rules, messages, actions }: UploadRowProps) {
  const name = displayName(item.name);
  const id = useId();
  const thumbnail = useThumbnail(item);
  const error = describeItemError(item, rules, messages);
  const { status, scanStatus } = item;
  // A file the scan refused is not a success: no bar, and its own class instead of `done`.
  const refused = scanStatus !== undefined && scanStatus !== 'APPROVED';
  const finished = status === 'done' || status === 'scanning';
  // Empty files are refused before upload: their (NaN) percent is never shown.
  const percent = finished ? 100 : Math.min(100, Math.floor((item.bytesSent * 100) / item.sizeInBytes));
  // Bytes have moved (or are about to, on a retry): the bar shows how far; before that it is indeterminate. A native
  // <progress>: no style attribute needed for its width, so nothing for a strict CSP to block; and browsers give
  // assistive technology its value, min (0) and max themselves: only the words (aria-valuetext) are ours.
  const withPercent = /^(uploading|retrying|refreshing|completing|scanning|done)$/.test(status);
  // Once Complete is sent the file may already be attached (a scanning one is): nothing to cancel, but it can be
  // removed from the list.
  const buttons: Action[] =
    isInProgress(status) && !/^(completing|scanning)$/.test(status)
      ? ['cancel']
      : status === 'failed' || status === 'cancelled'
        ? ['retry', 'remove']
        : ['remove'];

  return (
    <li className={`cau-item cau-item--${refused ? 'scan-refused' : status}`}>
      {thumbnail ? (
        <img className="cau-thumbnail" src={thumbnail} alt="" decoding="async" />
      ) : (
        <span className="cau-thumbnail cau-thumbnail--none" />
      )}
      <div className="cau-details">
        <span className="cau-name" title={name}>
          {name}
        </span>
        <span className="cau-size">{messages.formatSize(item.sizeInBytes)}</span>
        <span className="cau-status" id={`${id}s`}>
          {describeStatus(item, messages, secondsLeft)}
        </span>
        {/^(failed|rejected|cancelled)$/.test(status) || refused ? null : (
          <progress
            className="cau-progress"
            max={100}
            aria-label={messages.progressLabel({ name })}
            {...(withPercent && { value: percent, 'aria-valuetext': messages.progressValue({ percent }) })}
          />
        )}
        {withPercent && !finished ? (
          <span className="cau-percent">
            {messages.progress({
              percent,
              sent: messages.formatSize(item.bytesSent),
              total: messages.formatSize(item.sizeInBytes),
            })}
          </span>
        ) : null}
        {error ? (
          <p className="cau-error" id={`${id}e`}>
            {error}
          </p>
        ) : null}
      </div>
      <div className="cau-actions">
        {buttons.map((action) => (
          <button
            key={action}
            type="button"
            className={`cau-action cau-${action}`}
            aria-label={messages[`${action}File`]({ name })}
            // Why Retry (or Remove, or Cancel): the status, and the reason if there is one, read with the button.
            aria-describedby={error ? `${id}s ${id}e` : `${id}s`}
            onClick={() => actions[action](item.id)}
          >
            {messages[action]}
          </button>
        ))}
      </div>
    </li>
  );
});

/**
 * A PNG/JPEG preview: one object URL per item, revoked when the row goes (remove, unmount) or the file is
 * rejected. Skipped where object URLs do not exist (server rendering).
 */
function useThumbnail(item: UploadItem): string | undefined {
  const wanted = /^image\/(png|jpeg)$/.test(item.contentType ?? '') && item.status !== 'rejected' && typeof URL.createObjectURL === 'function';
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!wanted) return undefined;
    const objectUrl = URL.createObjectURL(item.file);
    setUrl(objectUrl);
    // An item's file never changes: only `wanted` turning false (shown as none) or the row going ends the URL.
    return () => URL.revokeObjectURL(objectUrl);
  }, [wanted, item.file]);
  return wanted ? url : undefined;
}
