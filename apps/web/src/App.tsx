import { useBedrockStream } from '@org/bedrock-stream-client/react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { WebConfig } from './config.js';

interface Turn {
  role: 'USER' | 'ASSISTANT';
  text: string;
  /** Assistant turns: how they ended and their figures. */
  status?: string;
  figures?: string;
}

const STATUS_LABEL: Record<string, string> = {
  idle: 'Ready',
  submitted: 'Starting…',
  streaming: 'Streaming…',
  done: 'Done',
  cancelled: 'Stopped',
  error: 'Error',
};

function figures(
  metrics: { timeToFirstTextMs?: number | null; totalMs?: number | null } | null,
  outputTokens: number | undefined,
): string {
  const ttft = metrics?.timeToFirstTextMs;
  const total = metrics?.totalMs;
  const parts: string[] = [];
  if (ttft != null) parts.push(`first token ${Math.round(ttft)} ms`);
  if (outputTokens && total) parts.push(`${((outputTokens / total) * 1000).toFixed(1)} tokens/s`);
  if (outputTokens !== undefined) parts.push(`${outputTokens} tokens`);
  return parts.join(' · ');
}

/** The chat: history held in the page, the current answer streamed by useBedrockStream. */
export function App({ config }: { config: WebConfig }) {
  const stream = useBedrockStream({ throttleMs: 50 });
  const [history, setHistory] = useState<Turn[]>([]);
  const [prompt, setPrompt] = useState('');
  const [modelId, setModelId] = useState(config.defaultModelId ?? config.allowedModelIds[0]!);
  const pending = useRef<Turn[] | null>(null);
  const busy = stream.status === 'submitted' || stream.status === 'streaming';

  // When an answer ends, move it into the history with its figures.
  useEffect(() => {
    if (!pending.current || busy || stream.status === 'idle') return;
    const asked = pending.current;
    pending.current = null;
    const metrics = stream.metrics as {
      timeToFirstTextMs?: number | null;
      totalMs?: number | null;
    } | null;
    setHistory([
      ...asked,
      {
        role: 'ASSISTANT',
        text: stream.text,
        status: stream.status,
        figures: figures(metrics, stream.usage?.outputTokens),
      },
    ]);
  }, [busy, stream.status, stream.text, stream.metrics, stream.usage]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = prompt.trim();
    if (!text || busy) return;
    const asked: Turn[] = [
      ...history.filter((t) => t.role === 'USER' || t.status === 'done'),
      { role: 'USER', text },
    ];
    pending.current = asked;
    setHistory(asked);
    setPrompt('');
    stream.start({ modelId, messages: asked.map((t) => ({ role: t.role, text: t.text })) });
  };

  const retry = () => {
    const last = [...history].reverse().find((t) => t.role === 'USER');
    if (!last) return;
    const asked = history.slice(0, history.lastIndexOf(last) + 1);
    pending.current = asked;
    setHistory(asked);
    stream.retry();
  };

  return (
    <main>
      <header>
        <h1>bedrock-stream</h1>
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
      </header>
      <ol className="history" data-testid="history">
        {history.map((turn, i) => (
          <li
            key={i}
            className={turn.role.toLowerCase()}
            data-testid={turn.role === 'USER' ? 'user-turn' : 'assistant-turn'}
            data-status={turn.status}
          >
            <p>{turn.text}</p>
            {turn.status && turn.status !== 'done' && (
              <span className="badge">{STATUS_LABEL[turn.status]}</span>
            )}
            {turn.figures && <small>{turn.figures}</small>}
          </li>
        ))}
        {pending.current && (
          <li className="assistant live" data-testid="answer" data-status={stream.status}>
            <p>{stream.text || '…'}</p>
          </li>
        )}
      </ol>
      {stream.status === 'error' && stream.error && (
        <p className="error" role="alert" data-testid="error">
          {stream.error.message}
        </p>
      )}
      <form onSubmit={submit}>
        <textarea
          data-testid="prompt"
          value={prompt}
          placeholder="Ask something…"
          onChange={(e) => setPrompt(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
        />
        <div className="actions">
          <span data-testid="status">{STATUS_LABEL[stream.status]}</span>
          {busy ? (
            <button type="button" data-testid="stop" onClick={stream.cancel}>
              Stop
            </button>
          ) : (
            <>
              <button
                type="button"
                data-testid="retry"
                onClick={retry}
                disabled={history.length === 0}
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
