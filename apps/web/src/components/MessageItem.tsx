import { memo, useState } from 'react';
import {
  editedParts,
  errorText,
  stopNote,
  textOf,
  usageLine,
  type MessageView,
} from '../conversation.js';
import type { UserPart } from '@org/bedrock-stream-contracts';
import { AnswerText, DocumentAttachment, ImageAttachment, Reasoning, ToolCard } from './Parts.js';

const STATUS_ATTR: Record<MessageView['status'], string> = {
  COMPLETE: 'complete',
  STREAMING: 'streaming',
  AWAITING_TOOL_RESULT: 'awaiting-tool-result',
  STOPPED: 'stopped',
  FAILED: 'failed',
};

/** What a message may do, given where the chat is. */
export interface MessageActions {
  /** Edit-and-resend (user messages; absent while an answer runs). */
  onEdit?: ((messageId: string, parts: UserPart[]) => void) | undefined;
  /** Regenerate (the last answer only; absent while an answer runs). */
  onRegenerate?: (() => void) | undefined;
  /** Retry (a failed last answer). */
  onRetry?: (() => void) | undefined;
}

/** The parts of a user message: its text as written (no Markdown), then its files. */
function UserParts({ message }: { message: MessageView }) {
  return (
    <>
      {message.parts.map((part, i) => {
        switch (part.type) {
          case 'text':
            return (
              <p key={i} className="user-text">
                {part.text}
              </p>
            );
          case 'image':
            return <ImageAttachment key={i} part={part} />;
          case 'document':
            return <DocumentAttachment key={i} part={part} />;
          default:
            return null;
        }
      })}
    </>
  );
}

/** The parts of an answer in order: reasoning, text (Markdown) and tool calls. */
function AnswerParts({ message }: { message: MessageView }) {
  const streaming = message.status === 'STREAMING';
  const last = message.parts.length - 1;
  return (
    <>
      {message.parts.map((part, i) => {
        switch (part.type) {
          case 'text':
            return <AnswerText key={i} text={part.text} />;
          case 'reasoning':
            return <Reasoning key={i} part={part} streaming={streaming && i === last} />;
          case 'tool-call':
            return (
              <ToolCard
                key={part.toolCallId}
                part={part}
                awaitingClient={message.status === 'AWAITING_TOOL_RESULT'}
              />
            );
          default:
            return null; // step boundaries and user parts have no view of their own
        }
      })}
    </>
  );
}

/** Inline editor of a user message: Save & send replaces it and drops what came after. */
function EditForm({
  message,
  onSave,
  onCancel,
}: {
  message: MessageView;
  onSave: (parts: UserPart[]) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(() => textOf(message.parts));
  const parts = editedParts(message.parts, text);
  return (
    <form
      className="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (parts.length > 0) onSave(parts);
      }}
    >
      <label className="visually-hidden" htmlFor={`edit-${message.id}`}>
        Edit your message
      </label>
      <textarea
        id={`edit-${message.id}`}
        data-testid="edit-text"
        value={text}
        autoFocus
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
      />
      <div className="edit-actions">
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" data-testid="edit-save" disabled={parts.length === 0}>
          Save &amp; send
        </button>
      </div>
    </form>
  );
}

/** One message of the chat. */
export const MessageItem = memo(function MessageItem({
  message,
  onEdit,
  onRegenerate,
  onRetry,
}: { message: MessageView } & MessageActions) {
  const [editing, setEditing] = useState(false);
  const status = STATUS_ATTR[message.status];
  if (message.role === 'user') {
    return (
      <li className="message user" data-testid="user-turn" data-id={message.id}>
        {editing && onEdit ? (
          <EditForm
            message={message}
            onCancel={() => setEditing(false)}
            onSave={(parts) => {
              setEditing(false);
              onEdit(message.id, parts);
            }}
          />
        ) : (
          <>
            <UserParts message={message} />
            {onEdit && (
              <div className="message-actions">
                <button
                  type="button"
                  className="link"
                  data-testid="edit"
                  onClick={() => setEditing(true)}
                >
                  Edit
                </button>
              </div>
            )}
          </>
        )}
      </li>
    );
  }
  const note = stopNote(message.stopReason);
  const usage = usageLine(message.usage);
  const empty = message.parts.every((p) => p.type === 'step-start');
  return (
    <li
      className={`message assistant ${status}`}
      data-testid="assistant-turn"
      data-status={status}
      data-id={message.id}
      aria-busy={message.status === 'STREAMING'}
    >
      {empty && message.status === 'STREAMING' && (
        <p className="typing" aria-label="The answer is starting">
          <span aria-hidden="true">●●●</span>
        </p>
      )}
      <AnswerParts message={message} />
      {message.status === 'FAILED' && (
        <div className="error" role="alert" data-testid="error">
          <span>{errorText(message.error)}</span>
          {onRetry && (
            <button type="button" className="secondary" data-testid="retry" onClick={onRetry}>
              Retry
            </button>
          )}
        </div>
      )}
      {message.status === 'STOPPED' && (
        <span className="badge" data-testid="stopped">
          Stopped
        </span>
      )}
      {note && <p className="note">{note}</p>}
      {(usage || onRegenerate) && (
        <div className="message-footer">
          {usage && <small data-testid="figures">{usage}</small>}
          {onRegenerate && (
            <button type="button" className="link" data-testid="regenerate" onClick={onRegenerate}>
              Regenerate
            </button>
          )}
        </div>
      )}
    </li>
  );
});
