import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type ClipboardEvent,
  type DragEvent,
  type FormEvent,
  type KeyboardEvent,
  type RefObject,
} from 'react';
import { AttachmentUploader, type AttachmentUploaderHandle } from '../index';
import { requestChat } from './backend';
import { connectParticipant, type ParticipantChat, type TranscriptItem } from './chat-client';
import type { DemoConfig } from './config';
import { FaultsPanel } from './FaultsPanel';
import { Transcript } from './Transcript';

/** GetTranscript while the chat is open (a real widget would use the websocket; polling keeps the demo small). */
const POLL_INTERVAL_MS = 1500;

type Phase = 'idle' | 'starting' | 'open' | 'ending' | 'ended';

interface Session {
  contactId: string;
  chat: ParticipantChat;
}

/**
 * A customer chat widget like the ones the uploader is embedded in: start a chat, send messages, attach files
 * (drop anywhere on the widget, paste into the message box, or pick), and see each completed attachment in the
 * transcript with its scan status and a download.
 */
export function ChatWidget({ config }: { config: DemoConfig }) {
  const [phase, setPhase] = useState<Phase>('idle');
  const [session, setSession] = useState<Session>();
  const [displayName, setDisplayName] = useState('Customer');
  const [problem, setProblem] = useState<string>();
  const transcript = useTranscript(phase === 'open' ? session?.chat : undefined);
  const shownProblem = problem ?? transcript.problem;

  const start = async () => {
    setPhase('starting');
    setProblem(undefined);
    try {
      const reply = await requestChat(displayName.trim() || 'Customer');
      // The ParticipantToken is used once, here, and dropped; the ConnectionToken stays inside `chat`.
      const chat = await connectParticipant(config.participantEndpoint, reply.participantToken);
      setSession({ contactId: reply.contactId, chat });
      setPhase('open');
    } catch (error) {
      setProblem(describe(error));
      setPhase('idle');
    }
  };

  const end = async () => {
    if (!session) return;
    setPhase('ending');
    try {
      await session.chat.disconnect();
    } catch (error) {
      setProblem(describe(error));
    }
    setPhase('ended');
  };

  const uploader = useRef<AttachmentUploaderHandle>(null);
  const forwarder = useFileForwarding(uploader);

  return (
    <section
      className={`demo-widget${forwarder.isDragOver ? ' demo-widget--drag' : ''}`}
      aria-labelledby="demo-title"
      {...(phase === 'open' ? forwarder.widgetProps : {})}
    >
      <header className="demo-header">
        <h2 id="demo-title">Support chat</h2>
        <span className="demo-state">{STATE_WORDS[phase]}</span>
        {phase === 'open' || phase === 'ending' ? (
          <button type="button" className="demo-end" onClick={() => void end()} disabled={phase === 'ending'}>
            End chat
          </button>
        ) : null}
      </header>

      {phase === 'idle' || phase === 'starting' ? (
        <form
          className="demo-start"
          onSubmit={(event) => {
            event.preventDefault();
            void start();
          }}
        >
          <label htmlFor="demo-name">Your name</label>
          <input id="demo-name" value={displayName} maxLength={256} autoComplete="name" onChange={(event) => setDisplayName(event.target.value)} />
          <button type="submit" disabled={phase === 'starting'}>
            {phase === 'starting' ? 'Starting…' : 'Start chat'}
          </button>
          <p className="demo-target">
            {config.target === 'emulator'
              ? 'Chats go to the local Amazon Connect emulator.'
              : `Chats go to Amazon Connect in ${config.region}.`}
          </p>
        </form>
      ) : null}

      {session ? <Transcript items={transcript.items} client={session.chat.attachments} canDownload={phase === 'open'} /> : null}

      {shownProblem ? (
        <p className="demo-problem" role="alert">
          {shownProblem}
        </p>
      ) : null}

      {session && phase === 'open' ? (
        <>
          <MessageBox chat={session.chat} onSent={transcript.pollNow} onProblem={setProblem} onPaste={forwarder.forwardPaste} />
          <AttachmentUploader ref={uploader} client={session.chat.attachments} onUploaded={() => void transcript.pollNow()} />
        </>
      ) : null}

      {phase === 'ended' ? (
        <button type="button" className="demo-restart" onClick={() => { setSession(undefined); setPhase('idle'); }}>
          Start a new chat
        </button>
      ) : null}

      {session && config.controlEndpoint && phase === 'open' ? (
        <FaultsPanel controlEndpoint={config.controlEndpoint} contactId={session.contactId} />
      ) : null}
    </section>
  );
}

const STATE_WORDS: Record<Phase, string> = {
  idle: 'Not connected',
  starting: 'Connecting…',
  open: 'Connected',
  ending: 'Ending…',
  ended: 'Chat ended',
};

function MessageBox({
  chat,
  onSent,
  onProblem,
  onPaste,
}: {
  chat: ParticipantChat;
  onSent: () => Promise<void>;
  onProblem: (text: string | undefined) => void;
  onPaste: (event: ClipboardEvent<HTMLTextAreaElement>) => void;
}) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    const content = text.trim();
    if (content === '' || sending) return;
    setSending(true);
    try {
      await chat.sendMessage(content);
      setText('');
      onProblem(undefined);
      await onSent();
    } catch (error) {
      onProblem(describe(error));
    } finally {
      setSending(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends, Shift+Enter breaks the line, as in most chat widgets.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  };

  return (
    <form className="demo-compose" onSubmit={(event) => void send(event)}>
      <textarea
        aria-label="Message"
        placeholder="Type a message, or paste a file"
        rows={2}
        maxLength={1024}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
      />
      <button type="submit" disabled={sending || text.trim() === ''}>
        Send
      </button>
    </form>
  );
}

/**
 * Polls GetTranscript while `chat` is set. `pollNow()` polls at once (after a message or an upload) and resolves
 * when that poll is done. The list keeps its identity while nothing changed; `problem` is the last poll's failure.
 */
function useTranscript(chat: ParticipantChat | undefined) {
  const [items, setItems] = useState<readonly TranscriptItem[]>([]);
  const [problem, setProblem] = useState<string>();
  const poller = useRef<() => Promise<void>>(async () => undefined);

  useEffect(() => {
    if (!chat) return undefined;
    setItems([]);
    setProblem(undefined);
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running: Promise<void> | undefined;
    const poll = (): Promise<void> => {
      clearTimeout(timer);
      running ??= chat
        .getTranscript(controller.signal)
        .then(
          (next) => {
            setItems((previous) => (sameTranscript(previous, next) ? previous : next));
            setProblem(undefined);
          },
          (error: unknown) => {
            if (!controller.signal.aborted) setProblem(describe(error));
          },
        )
        .finally(() => {
          running = undefined;
          if (!controller.signal.aborted) timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
        });
      return running;
    };
    poller.current = poll;
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
      poller.current = async () => undefined;
    };
  }, [chat]);

  const pollNow = useCallback(() => poller.current(), []);
  return { items, problem, pollNow };
}

function sameTranscript(a: readonly TranscriptItem[], b: readonly TranscriptItem[]): boolean {
  const key = (item: TranscriptItem) => `${item.id}:${item.attachments.map((attachment) => attachment.status ?? '').join(',')}`;
  return a.length === b.length && a.every((item, index) => key(item) === key(b[index] as TranscriptItem));
}

/**
 * A chat widget takes files from anywhere on it, and from a paste in its message box, not only on the uploader's
 * own zone: those go to the uploader through its handle.
 */
function useFileForwarding(uploader: RefObject<AttachmentUploaderHandle | null>) {
  const [isDragOver, setDragOver] = useState(false);

  const widgetProps = {
    onDragEnter: (event: DragEvent<HTMLElement>) => {
      if (carriesFiles(event.dataTransfer)) setDragOver(true);
    },
    onDragOver: (event: DragEvent<HTMLElement>) => {
      if (!carriesFiles(event.dataTransfer)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave: (event: DragEvent<HTMLElement>) => {
      if (!(event.relatedTarget instanceof Node && event.currentTarget.contains(event.relatedTarget))) setDragOver(false);
    },
    onDrop: (event: DragEvent<HTMLElement>) => {
      setDragOver(false);
      // Dropped on the uploader's own zone: it has taken the files already.
      if (event.defaultPrevented || !carriesFiles(event.dataTransfer)) return;
      event.preventDefault();
      uploader.current?.addFiles(event.dataTransfer.files);
    },
  };

  const forwardPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    // Files only: pasted text stays in the message box, even with a picture of itself (spreadsheet cells).
    if (!carriesFiles(event.clipboardData) || event.clipboardData.types.includes('text/plain') || !uploader.current) return;
    event.preventDefault();
    uploader.current.addFiles(event.clipboardData.files);
  };

  return { isDragOver, widgetProps, forwardPaste };
}

function carriesFiles(transfer: DataTransfer | null): transfer is DataTransfer {
  return transfer !== null && Array.from(transfer.types).includes('Files');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}
