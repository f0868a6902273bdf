import { useEffect, useRef, useState } from 'react';
import { PencilIcon, TrashIcon } from './icons.js';

/** The fields of a conversation the sidebar shows (the client's Conversation has them). */
export interface ConversationSummary {
  conversationId: string;
  title: string;
  updatedAt: string;
  activeStreamId?: string | null | undefined;
}

const day = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });
const time = new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit' });

/** "3:42 PM" today, "Nov 30" before. */
function when(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toDateString() === now.toDateString() ? time.format(date) : day.format(date);
}

function RenameForm({
  conversation,
  onRename,
  onDone,
}: {
  conversation: ConversationSummary;
  onRename: (title: string) => void;
  onDone: () => void;
}) {
  const [title, setTitle] = useState(conversation.title);
  return (
    <form
      className="rename-form"
      onSubmit={(e) => {
        e.preventDefault();
        const next = title.trim();
        if (next && next !== conversation.title) onRename(next);
        onDone();
      }}
    >
      <input
        data-testid="rename-input"
        aria-label="Conversation title"
        value={title}
        maxLength={200}
        autoFocus
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onDone();
        }}
      />
      <button type="submit" data-testid="rename-save">
        Save
      </button>
    </form>
  );
}

/** One conversation: open it, rename it, delete it (asks once more first). */
function ConversationRow({
  conversation,
  selected,
  onSelect,
  onRename,
  onDelete,
}: {
  conversation: ConversationSummary;
  selected: boolean;
  onSelect: () => void;
  onRename: (title: string) => void;
  onDelete: () => void;
}) {
  const [mode, setMode] = useState<'view' | 'rename' | 'confirm-delete'>('view');
  return (
    <li
      className={selected ? 'conversation selected' : 'conversation'}
      data-testid="conversation"
      data-id={conversation.conversationId}
    >
      {mode === 'rename' ? (
        <RenameForm
          conversation={conversation}
          onRename={onRename}
          onDone={() => setMode('view')}
        />
      ) : (
        <button
          type="button"
          className="conversation-open"
          aria-current={selected ? 'page' : undefined}
          onClick={onSelect}
        >
          <span className="conversation-title" data-testid="conversation-title">
            {conversation.title}
          </span>
          <small>
            {conversation.activeStreamId ? 'answering… · ' : ''}
            {when(conversation.updatedAt)}
          </small>
        </button>
      )}
      {mode === 'view' && (
        <span className="conversation-actions">
          <button
            type="button"
            className="icon"
            data-testid="rename"
            aria-label={`Rename “${conversation.title}”`}
            onClick={() => setMode('rename')}
          >
            <PencilIcon />
          </button>
          <button
            type="button"
            className="icon"
            data-testid="delete"
            aria-label={`Delete “${conversation.title}”`}
            onClick={() => setMode('confirm-delete')}
          >
            <TrashIcon />
          </button>
        </span>
      )}
      {mode === 'confirm-delete' && (
        <span className="confirm-delete" role="group" aria-label="Delete this conversation?">
          <button
            type="button"
            className="danger"
            data-testid="delete-confirm"
            onClick={() => {
              setMode('view');
              onDelete();
            }}
          >
            Delete
          </button>
          <button type="button" className="secondary" onClick={() => setMode('view')}>
            Keep
          </button>
        </span>
      )}
    </li>
  );
}

/** The conversation list: New chat, then the owner's conversations, newest first. */
export function Sidebar({
  conversations,
  selectedId,
  loading,
  error,
  hasMore,
  onNew,
  onSelect,
  onRename,
  onDelete,
  onLoadMore,
  open = false,
}: {
  conversations: readonly ConversationSummary[];
  selectedId: string | null;
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  onNew: () => void;
  onSelect: (id: string) => void;
  onRename: (id: string, title: string) => void;
  onDelete: (id: string) => void;
  onLoadMore: () => void;
  /** The drawer was opened (phone width): the focus moves into it. */
  open?: boolean;
}) {
  // Opening the drawer (phone width) moves the focus into it.
  const newChat = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (open) newChat.current?.focus();
  }, [open]);
  return (
    <nav className="sidebar" aria-label="Conversations" data-testid="sidebar">
      <button
        type="button"
        className="new-chat"
        data-testid="new-chat"
        onClick={onNew}
        ref={newChat}
      >
        + New chat
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {loading && conversations.length === 0 && <p className="muted">Loading…</p>}
      {!loading && conversations.length === 0 && !error && (
        <p className="muted">No conversations yet.</p>
      )}
      <ul className="conversations" data-testid="conversations">
        {conversations.map((c) => (
          <ConversationRow
            key={c.conversationId}
            conversation={c}
            selected={c.conversationId === selectedId}
            onSelect={() => onSelect(c.conversationId)}
            onRename={(title) => onRename(c.conversationId, title)}
            onDelete={() => onDelete(c.conversationId)}
          />
        ))}
      </ul>
      {hasMore && (
        <button type="button" className="secondary" onClick={onLoadMore}>
          More
        </button>
      )}
    </nav>
  );
}
