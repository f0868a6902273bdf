import type { UserPart } from '@org/bedrock-stream-contracts';
import { useEffect, useRef, type ReactNode } from 'react';
import type { MessageView } from '../conversation.js';
import { Composer, useComposer } from './Composer.js';
import { MessageItem } from './MessageItem.js';

/**
 * The chat statuses of the client's Chat, and two of a new chat: 'draft' (no conversation
 * yet) and 'creating' (its first message is creating the conversation).
 */
export type ChatStatus =
  | 'draft'
  | 'creating'
  | 'loading'
  | 'ready'
  | 'submitted'
  | 'streaming'
  | 'awaiting-tool-result'
  | 'error';

const STATUS_LABEL: Record<ChatStatus, string> = {
  draft: 'Ready',
  creating: 'Starting…',
  loading: 'Loading…',
  ready: 'Ready',
  submitted: 'Starting…',
  streaming: 'Streaming…',
  'awaiting-tool-result': 'Running a tool…',
  error: 'Error',
};

/** How close to the end (px) still counts as "at the end": the view then follows new text. */
const FOLLOW_SLACK_PX = 48;

/**
 * The chat area: the messages (the only part that scrolls, so the header above and the
 * composer below stay in place), then the composer. Files dropped anywhere on it attach.
 */
export function ChatPane({
  messages,
  status,
  error,
  empty,
  onSend,
  onStop,
  onEdit,
  onRegenerate,
  onRetry,
}: {
  messages: readonly MessageView[];
  status: ChatStatus;
  /** A chat-level error (a refused send, a failed load), shown above the composer. */
  error: string | null;
  /** What an empty chat shows. */
  empty: ReactNode;
  onSend: (parts: UserPart[]) => void;
  onStop: () => void;
  onEdit?: (messageId: string, parts: UserPart[]) => void;
  onRegenerate?: () => void;
  onRetry?: () => void;
}) {
  const composer = useComposer();
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const busy =
    status === 'creating' ||
    status === 'submitted' ||
    status === 'streaming' ||
    status === 'awaiting-tool-result';
  const idle = status === 'ready' || status === 'error' || status === 'draft';
  const last = messages[messages.length - 1];

  // Follow the newest text while the reader is at the end; leave them be when they scrolled up.
  useEffect(() => {
    const el = scroller.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [messages]);

  return (
    <div className="chat-pane" {...composer.dropZone}>
      <div
        className="messages"
        ref={scroller}
        tabIndex={0}
        role="region"
        aria-label="Messages"
        data-testid="messages"
        onScroll={(e) => {
          const el = e.currentTarget;
          following.current = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_SLACK_PX;
        }}
      >
        {messages.length === 0 && status !== 'loading' && (
          <div className="empty" data-testid="empty">
            {empty}
          </div>
        )}
        <ol className="history" data-testid="history">
          {messages.map((m) => (
            <MessageItem
              key={m.id}
              message={m}
              onEdit={idle && m.role === 'user' ? onEdit : undefined}
              onRegenerate={
                // A failed answer offers Retry instead; one awaiting tools is not done yet.
                idle &&
                m === last &&
                m.role === 'assistant' &&
                (m.status === 'COMPLETE' || m.status === 'STOPPED')
                  ? onRegenerate
                  : undefined
              }
              onRetry={idle && m === last ? onRetry : undefined}
            />
          ))}
        </ol>
      </div>
      {error && (
        <div className="error chat-error" role="alert" data-testid="chat-error">
          <span>{error}</span>
          {onRetry && (
            // Tries the refused action again (a refused question is sent again as written).
            <button type="button" className="secondary" data-testid="chat-retry" onClick={onRetry}>
              Retry
            </button>
          )}
        </div>
      )}
      <Composer
        composer={composer}
        busy={busy || status === 'loading'}
        canStop={status === 'submitted' || status === 'streaming'}
        statusText={STATUS_LABEL[status]}
        onSend={onSend}
        onStop={onStop}
      />
    </div>
  );
}
