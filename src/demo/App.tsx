import { useEffect, useState } from 'react';
import { loadConfig } from './backend';
import { ChatWidget } from './ChatWidget';
import type { DemoConfig } from './config';

export function App() {
  const [config, setConfig] = useState<DemoConfig>();
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    loadConfig(window.location).then(setConfig, (error: unknown) =>
      setProblem(error instanceof Error ? error.message : 'The demo could not load its configuration.'),
    );
  }, []);

  return (
    <main className="demo-page">
      <div className="demo-intro">
        <h1>connect-attachment-uploader — chat demo</h1>
        <p>
          A customer chat widget with <code>&lt;AttachmentUploader&gt;</code>: drop files anywhere on the widget, paste them
          into the message box, or pick them. Each attachment shows up in the transcript once it is complete.
        </p>
      </div>
      {problem ? (
        <p className="demo-problem" role="alert">
          {problem}
        </p>
      ) : config ? (
        <ChatWidget config={config} />
      ) : (
        <p>Loading…</p>
      )}
    </main>
  );
}
