import type { UserPart } from '@org/bedrock-stream-contracts';
import { useCallback, useRef, useState, type ClipboardEvent, type DragEvent } from 'react';
import { FileIcon, PaperclipIcon } from './icons.js';
import { ACCEPTED_FILES, formatBytes, readAttachment, type Attachment } from '../attachments.js';

/** The message being written: its text, its files, and why a file was refused. */
export function useComposer() {
  const [text, setText] = useState('');
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [fileErrors, setFileErrors] = useState<string[]>([]);
  // Files are read one after another against the list so far (count and size limits).
  const current = useRef<Attachment[]>([]);
  current.current = attachments;

  const addFiles = useCallback(async (files: readonly File[]) => {
    const errors: string[] = [];
    const next = [...current.current];
    for (const file of files) {
      const read = await readAttachment(file, next);
      if (read.ok) next.push(read.attachment);
      else errors.push(read.error);
    }
    current.current = next;
    setAttachments(next);
    setFileErrors(errors);
  }, []);

  const remove = useCallback((id: string) => {
    setAttachments((list) => list.filter((a) => a.id !== id));
    setFileErrors([]);
  }, []);

  /** The message's parts (text first, then files); empty when there is nothing to send. */
  const parts = (): UserPart[] => [
    ...(text.trim() ? [{ type: 'text' as const, text: text.trim() }] : []),
    ...attachments.map((a) => a.part),
  ];

  const clear = useCallback(() => {
    setText('');
    setAttachments([]);
    setFileErrors([]);
  }, []);

  /** Drop handlers for the chat area (files dropped anywhere on it are attached). */
  const dropZone = {
    onDragOver: (e: DragEvent) => {
      if (e.dataTransfer.types.includes('Files')) e.preventDefault();
    },
    onDrop: (e: DragEvent) => {
      if (e.dataTransfer.files.length === 0) return;
      e.preventDefault();
      void addFiles([...e.dataTransfer.files]);
    },
  };

  return { text, setText, attachments, fileErrors, addFiles, remove, parts, clear, dropZone };
}

export type ComposerState = ReturnType<typeof useComposer>;

/** The composer: prompt, attach (pick, paste, drop), Send, and Stop while an answer runs. */
export function Composer({
  composer,
  busy,
  canStop,
  statusText,
  onSend,
  onStop,
}: {
  composer: ComposerState;
  /** An answer is running: sending waits. */
  busy: boolean;
  canStop: boolean;
  statusText: string;
  onSend: (parts: UserPart[]) => void;
  onStop: () => void;
}) {
  const fileInput = useRef<HTMLInputElement>(null);
  const { text, setText, attachments, fileErrors, addFiles, remove } = composer;
  const ready = !busy && (text.trim().length > 0 || attachments.length > 0);

  const send = () => {
    if (!ready) return;
    onSend(composer.parts());
    composer.clear();
  };

  const onPaste = (e: ClipboardEvent) => {
    const files = [...e.clipboardData.files];
    if (files.length === 0) return; // plain text pastes as usual
    e.preventDefault();
    void addFiles(files);
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {attachments.length > 0 && (
        <ul className="attachments" aria-label="Attached files">
          {attachments.map((a) => (
            <li key={a.id} className="chip" data-testid="attachment">
              {a.part.type === 'image' ? (
                <img
                  src={`data:image/${a.part.format.toLowerCase()};base64,${a.part.bytes}`}
                  alt=""
                />
              ) : (
                <FileIcon />
              )}
              <span className="chip-name">{a.fileName}</span>
              <small>{formatBytes(Math.round((a.part.bytes.length / 4) * 3))}</small>
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${a.fileName}`}
                onClick={() => remove(a.id)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {fileErrors.length > 0 && (
        <div className="error" role="alert" data-testid="attach-error">
          {fileErrors.map((e, i) => (
            <p key={i}>{e}</p>
          ))}
        </div>
      )}
      <label className="visually-hidden" htmlFor="prompt">
        Message
      </label>
      <textarea
        id="prompt"
        data-testid="prompt"
        value={text}
        rows={2}
        placeholder="Ask something… (Enter sends, Shift+Enter for a new line)"
        onChange={(e) => setText(e.target.value)}
        onPaste={onPaste}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <div className="actions">
        <button
          type="button"
          className="secondary"
          data-testid="attach"
          onClick={() => fileInput.current?.click()}
        >
          <PaperclipIcon /> Attach
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          accept={ACCEPTED_FILES}
          data-testid="file-input"
          aria-label="Attach files"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = ''; // the same file can be picked again
            void addFiles(files);
          }}
        />
        <span className="status" data-testid="status" aria-live="polite">
          {statusText}
        </span>
        {canStop ? (
          <button type="button" data-testid="stop" className="stop" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" data-testid="send" disabled={!ready}>
            Send
          </button>
        )}
      </div>
    </form>
  );
}
