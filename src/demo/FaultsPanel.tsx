import { useCallback, useEffect, useMemo, useState } from 'react';
import { emulatorControl, FAULT_PRESETS, type ContactSnapshot } from './emulator-control';

/** While the panel is open, the contact's counters are read this often, so retries can be watched happening. */
const STATE_INTERVAL_MS = 1000;

/** A collapsible panel that breaks this chat's uploads on purpose, through the emulator's control API. */
export function FaultsPanel({ controlEndpoint, contactId }: { controlEndpoint: string; contactId: string }) {
  const control = useMemo(() => emulatorControl(controlEndpoint, contactId), [controlEndpoint, contactId]);
  const [open, setOpen] = useState(false);
  const [snapshot, setSnapshot] = useState<ContactSnapshot>();
  const [problem, setProblem] = useState<string>();

  const run = useCallback(async (action: () => Promise<ContactSnapshot>) => {
    try {
      setSnapshot(await action());
      setProblem(undefined);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : 'The emulator did not answer.');
    }
  }, []);

  useEffect(() => {
    if (!open) return undefined;
    void run(control.state);
    const timer = setInterval(() => void run(control.state), STATE_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [open, control, run]);

  return (
    <details className="demo-faults" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Emulator faults</summary>
      <p className="demo-hint">Each applies to this chat only and adds to the others. Then attach a file and watch.</p>
      <ul className="demo-presets">
        {FAULT_PRESETS.map((preset) => (
          <li key={preset.id}>
            <button type="button" onClick={() => void run(() => control.apply(preset.faults))}>
              {preset.label}
            </button>
            <span className="demo-hint">{preset.description}</span>
          </li>
        ))}
        <li>
          <button type="button" onClick={() => void run(control.clear)}>
            Clear faults
          </button>
          <span className="demo-hint">Back to a healthy network and the default limits.</span>
        </li>
      </ul>
      {problem ? (
        <p className="demo-problem" role="alert">
          {problem}
        </p>
      ) : null}
      {snapshot ? <ContactState snapshot={snapshot} /> : null}
    </details>
  );
}

function ContactState({ snapshot }: { snapshot: ContactSnapshot }) {
  const { calls, putStats, faults, putFaults } = snapshot;
  const pending = { ...faults, ...(Object.keys(putFaults).length > 0 ? { put: putFaults } : {}) };
  return (
    <dl className="demo-stats">
      <dt>StartAttachmentUpload calls</dt>
      <dd>{calls.startAttachmentUpload}</dd>
      <dt>CompleteAttachmentUpload calls</dt>
      <dd>{calls.completeAttachmentUpload}</dd>
      <dt>PUTs to S3</dt>
      <dd>
        {putStats.puts} ({putStats.succeeded} succeeded, {putStats.failed} failed, {putStats.resets} reset, {putStats.stalls} stalled)
      </dd>
      <dt>Attachments (quota {snapshot.attachmentQuota})</dt>
      <dd>{snapshot.attachments.length}</dd>
      <dt>URL expiry</dt>
      <dd>{snapshot.urlExpirySeconds} s</dd>
      <dt>Faults still pending</dt>
      <dd>
        <code>{Object.keys(pending).length > 0 ? JSON.stringify(pending) : 'none'}</code>
      </dd>
    </dl>
  );
}
