import { useEffect, useMemo, useState } from 'react';
import { createAttachedFileClient, waitForScan, type AttachedFileClient } from '../attached-files';
import { AttachmentUploader, type AttachmentStatus, type UploadedAttachment } from '../index';
import { requestCase } from './backend';
import type { NewCaseReply } from './config';
import { StoredFile, describeProblem } from './Transcript';

/**
 * The agent's side: a case, with `<AttachmentUploader>` over `createAttachedFileClient` in backend mode (the demo
 * server signs and forwards each call), and the case's files with their malware scan as GetAttachedFile reports it.
 */
export function AgentView() {
  const [caseRef, setCaseRef] = useState<NewCaseReply>();
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    const controller = new AbortController();
    requestCase(controller.signal).then(setCaseRef, (error: unknown) => {
      if (!controller.signal.aborted) setProblem(describeProblem(error));
    });
    return () => controller.abort();
  }, []);

  return (
    <section className="demo-widget" aria-labelledby="agent-title">
      <header className="demo-header">
        <h2 id="agent-title">Agent: case files</h2>
      </header>
      {problem ? (
        <p className="demo-problem" role="alert">
          {problem}
        </p>
      ) : caseRef ? (
        <CaseFiles caseRef={caseRef} />
      ) : (
        <p>Creating a case…</p>
      )}
    </section>
  );
}

interface CaseFile {
  fileId: string;
  name: string;
}

function CaseFiles({ caseRef }: { caseRef: NewCaseReply }) {
  const client = useMemo(
    () =>
      createAttachedFileClient({
        backend: { url: '/demo-api/attached-files' },
        instanceId: caseRef.instanceId,
        associatedResourceArn: caseRef.associatedResourceArn,
      }),
    [caseRef],
  );
  const [files, setFiles] = useState<readonly CaseFile[]>([]);
  const caseId = caseRef.associatedResourceArn.split('/').pop() ?? caseRef.associatedResourceArn;

  const onUploaded = (attachment: UploadedAttachment) =>
    setFiles((previous) => [...previous, { fileId: attachment.attachmentId, name: attachment.name }]);

  return (
    <>
      <dl className="demo-case">
        <dt>Case</dt>
        <dd>{caseId}</dd>
        <dt>ARN</dt>
        <dd className="demo-case-arn">{caseRef.associatedResourceArn}</dd>
      </dl>
      <AttachmentUploader client={client} onUploaded={onUploaded} />
      <h3 id="agent-files-title">Attached files</h3>
      {files.length === 0 ? (
        <p className="demo-hint">No files attached to this case yet.</p>
      ) : (
        // Polite: each verdict is read out as it arrives.
        <ul className="demo-case-files" aria-labelledby="agent-files-title" aria-live="polite">
          {files.map((file) => (
            <CaseFileEntry key={file.fileId} file={file} client={client} />
          ))}
        </ul>
      )}
    </>
  );
}

/** One attached file: polls GetAttachedFile until the scan's verdict; a download only once APPROVED. */
function CaseFileEntry({ file, client }: { file: CaseFile; client: AttachedFileClient }) {
  // Complete has just returned: the scan starts now.
  const [status, setStatus] = useState<AttachmentStatus>('PROCESSING');
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    const controller = new AbortController();
    waitForScan(client, file.fileId, { signal: controller.signal, initialDelayMs: 500, maxDelayMs: 1000, onStatus: setStatus }).catch(
      (error: unknown) => {
        if (!controller.signal.aborted) setProblem(describeProblem(error));
      },
    );
    return () => controller.abort();
  }, [client, file.fileId]);

  return (
    <li className="demo-item demo-item--case-file">
      <StoredFile name={file.name} status={status} id={file.fileId} client={client} />
      {problem ? (
        <p className="demo-problem" role="alert">
          {problem}
        </p>
      ) : null}
    </li>
  );
}
