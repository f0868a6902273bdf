import type { UsageReport } from '@org/bedrock-stream-client';
import { useBedrockStream } from '@org/bedrock-stream-client/react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { WebConfig } from './config.js';
import { figuresOf, messagesFor, type Turn } from './conversation.js';
import { quotaMessage, usageSummary } from './quota.js';
import { loadChat, saveChat } from './saved-chat.js';

/** When the usage is read again after an answer ends (its ledger entry lands just after). */
const USAGE_REREAD_MS = 1_500;

const STATUS_LABEL: Record<string, string> = {
  idle: 'Ready',
  submitted: 'Starting…',
  streaming: 'Streaming…',
  done: 'Done',
  cancelled: 'Stopped',
  error: 'Error',
};

/**
 * The chat: the history is held in the page (every turn stays visible) and sent as `messages`;
 * the answer being written is streamed by useBedrockStream and moved into the history when it
 * ends, with its status, error and figures. The chat and the id of the answer in flight are
 * kept in sessionStorage, so a reload shows the same chat and resumes that answer.
 */
export function App({
  config,
  loadUsage,
}: {
  config: WebConfig;
  /** Reads the user's usage today (`client.usage()`); the header shows it when given. */
  loadUsage?: () => Promise<UsageReport>;
}) {
  // Read once: what the tab held before a reload.
  const [saved] = useState(loadChat);
  const stream = useBedrockStream({ throttleMs: 50, resumeStreamId: saved.activeStreamId });
  const [usage, setUsage] = useState<UsageReport | null>(null);
  const [history, setHistory] = useState<Turn[]>(saved.history);
  const [prompt, setPrompt] = useState('');
  const [modelId, setModelId] = useState(config.defaultModelId ?? config.allowedModelIds[0]!);
  // The turns an answer in flight belongs after; null when no answer is pending. A ref, not
  // state, so the effect below settles each answer exactly once.
  const pending = useRef<Turn[] | null>(saved.activeStreamId ? saved.history : null);
  const busy = stream.status === 'submitted' || stream.status === 'streaming';
  // Only a stream the page follows for a pending answer is worth resuming after a reload
  // (before the resume begins, status is still idle: keep the saved id).
  const activeStreamId = !pending.current
    ? null
    : busy
      ? stream.streamId
      : stream.status === 'idle'
        ? saved.activeStreamId
        : null;

  useEffect(() => {
    saveChat({ history, activeStreamId });
  }, [history, activeStreamId]);
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const status = stream.status;
    if (!pending.current || status === 'idle' || status === 'submitted' || status === 'streaming')
      return;
    const asked = pending.current;
    pending.current = null;
    setHistory([
      ...asked,
      {
        role: 'ASSISTANT',
        text: stream.text,
        status,
        ...(status === 'error' && stream.error
          ? { error: quotaMessage(stream.error) ?? stream.error.message }
          : {}),
        figures: figuresOf(stream.metrics, stream.usage),
      },
    ]);
  }, [stream.status, stream.text, stream.metrics, stream.usage, stream.error]);

  // The user's usage today: on load and whenever an answer ends. The worker adds an answer
  // to the ledger just after its end event reaches the page, so read again a moment later.
  const settled = stream.status !== 'submitted' && stream.status !== 'streaming';
  useEffect(() => {
    if (!loadUsage || !settled) return;
    let current = true;
    const load = () =>
      loadUsage().then(
        (report) => current && setUsage(report),
        () => undefined,
      );
    void load();
    const again = setTimeout(() => void load(), USAGE_REREAD_MS);
    return () => {
      current = false;
      clearTimeout(again);
    };
  }, [loadUsage, settled]);

  // Keep the newest text in view while it streams.
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [history.length, stream.text]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = prompt.trim();
    if (!text || busy) return;
    const messages = messagesFor(history, text);
    const asked: Turn[] = [...history, { role: 'USER', text }];
    pending.current = asked;
    setHistory(asked);
    setPrompt('');
    void stream.start({ modelId, messages });
  };

  // Retry asks the last question again: its previous answer leaves the history. The
  // messages come from the history (not the hook's last input), so it works after a reload.
  const retry = () => {
    const lastUser = history.map((t) => t.role).lastIndexOf('USER');
    if (lastUser < 0 || busy) return;
    const asked = history.slice(0, lastUser + 1);
    pending.current = asked;
    setHistory(asked);
    void stream.start({
      modelId,
      messages: messagesFor(history.slice(0, lastUser), asked[lastUser]!.text),
    });
  };

  const newChat = () => {
    if (busy) stream.cancel();
    pending.current = null;
    setHistory([]);
  };

  return (
    <main>
      <header>
        <h1>bedrock-stream</h1>
        <div className="controls">
          <label>
            Model{' '}
            <select
              data-testid="model"
              value={modelId}
              onChange={(e) => setModelId(e.target.value)}
              disabled={busy}
            >
              {config.allowedModelIds.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="secondary"
            data-testid="new-chat"
            onClick={newChat}
            disabled={history.length === 0}
          >
            New chat
          </button>
        </div>
        {usage && (
          <small className="usage" data-testid="usage">
            {usageSummary(usage)}
          </small>
        )}
      </header>
      {history.length === 0 && (
        <p className="empty" data-testid="empty">
          Ask anything: the answer streams in as the model writes it.
        </p>
      )}
      <ol className="history" data-testid="history">
        {history.map((turn, i) =>
          turn.role === 'USER' ? (
            <li key={i} className="user" data-testid="user-turn">
              <p>{turn.text}</p>
            </li>
          ) : (
            <li
              key={i}
              className={`assistant ${turn.status}`}
              data-testid="assistant-turn"
              data-status={turn.status}
            >
              {turn.text && <p>{turn.text}</p>}
              {turn.error && (
                <p className="error" role="alert" data-testid="error">
                  {turn.error}
                </p>
              )}
              {turn.status === 'cancelled' && (
                <span className="badge" data-testid="cancelled">
                  Stopped
                </span>
              )}
              {turn.figures && <small data-testid="figures">{turn.figures}</small>}
            </li>
          ),
        )}
        {pending.current && (
          <li className="assistant live" data-testid="answer" data-status={stream.status}>
            <p>{stream.text || '…'}</p>
          </li>
        )}
      </ol>
      <div ref={end} />
      <form onSubmit={submit}>
        <textarea
          data-testid="prompt"
          value={prompt}
          placeholder="Ask something… (Enter sends, Shift+Enter for a new line)"
          onChange={(e) => setPrompt(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
        />
        <div className="actions">
          <span data-testid="status" data-status={stream.status}>
            {STATUS_LABEL[stream.status]}
          </span>
          {busy ? (
            <button type="button" data-testid="stop" className="stop" onClick={stream.cancel}>
              Stop
            </button>
          ) : (
            <>
              <button
                type="button"
                className="secondary"
                data-testid="retry"
                onClick={retry}
                disabled={!history.some((t) => t.role === 'ASSISTANT')}
              >
                Retry
              </button>
              <button type="submit" data-testid="send" disabled={!prompt.trim()}>
                Send
              </button>
            </>
          )}
        </div>
      </form>
    </main>
  );
}
