import { useEffect, useState } from 'react';
import { AgentView } from './AgentView';
import { loadConfig } from './backend';
import { ChatWidget } from './ChatWidget';
import type { DemoConfig } from './config';

type View = 'customer' | 'agent';

export function App() {
  const [config, setConfig] = useState<DemoConfig>();
  const [problem, setProblem] = useState<string>();
  const [view, setView] = useState<View>('customer');
  // The agent view creates its case when first opened, then stays mounted (hidden) like the chat, so switching
  // back and forth loses neither the chat nor the case.
  const [agentOpened, setAgentOpened] = useState(false);

  useEffect(() => {
    loadConfig(window.location).then(setConfig, (error: unknown) =>
      setProblem(error instanceof Error ? error.message : 'The demo could not load its configuration.'),
    );
  }, []);

  const show = (next: View) => {
    setView(next);
    if (next === 'agent') setAgentOpened(true);
  };

  return (
    <main className="demo-page">
      <div className="demo-intro">
        <h1>connect-attachment-uploader — chat demo</h1>
        <p>
          A customer chat widget with <code>&lt;AttachmentUploader&gt;</code>: drop files anywhere on the widget, paste them
          into the message box, or pick them. Each attachment shows up in the transcript once it is complete. The agent
          view attaches files to a case and shows each one's malware scan.
        </p>
      </div>
      {problem ? (
        <p className="demo-problem" role="alert">
          {problem}
        </p>
      ) : config ? (
        <>
          <div className="demo-views" role="group" aria-label="View">
            <button type="button" aria-pressed={view === 'customer'} onClick={() => show('customer')}>
              Customer chat
            </button>
            {config.target === 'emulator' ? (
              <button type="button" aria-pressed={view === 'agent'} onClick={() => show('agent')}>
                Agent
              </button>
            ) : null}
          </div>
          <div hidden={view !== 'customer'}>
            <ChatWidget config={config} />
          </div>
          {agentOpened ? (
            <div hidden={view !== 'agent'}>
              <AgentView />
            </div>
          ) : null}
        </>
      ) : (
        <p>Loading…</p>
      )}
    </main>
  );
}
