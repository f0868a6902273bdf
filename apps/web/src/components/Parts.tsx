import type {
  DocumentPart,
  ImagePart,
  JsonValue,
  ReasoningPart,
  ToolCallPart,
} from '@org/bedrock-stream-contracts';
import { memo } from 'react';
import { compactJson } from '../conversation.js';
import { FileIcon, ToolIcon } from './icons.js';
import { LazyMarkdown } from './LazyMarkdown.js';

/** JSON for display: pretty, or the raw text when it is not (yet) valid JSON. */
function prettyJson(value: JsonValue | undefined, raw?: string): string {
  if (value !== undefined) return compactJson(value);
  if (!raw) return '';
  try {
    return compactJson(JSON.parse(raw) as JsonValue);
  } catch {
    return raw; // still streaming in
  }
}

const TOOL_STATE_LABEL: Record<ToolCallPart['state'], string> = {
  'streaming-input': 'Preparing…',
  'input-available': 'Running…',
  'output-available': 'Done',
  'output-error': 'Failed',
};

/**
 * A tool call as a card: the tool's name, where the call is, its input and its result.
 * `awaitingClient`: the answer waits for the page to run this call (a client tool).
 */
export const ToolCard = memo(function ToolCard({
  part,
  awaitingClient,
}: {
  part: ToolCallPart;
  awaitingClient: boolean;
}) {
  const state =
    awaitingClient && part.state === 'input-available'
      ? 'Running in your browser…'
      : TOOL_STATE_LABEL[part.state];
  const input = prettyJson(part.input, part.inputText);
  const hasOutput = part.state === 'output-available' || part.state === 'output-error';
  return (
    <section
      className={`tool-card ${part.state}`}
      data-testid="tool-card"
      data-state={part.state}
      data-tool={part.toolName}
      aria-label={`Tool call ${part.toolName}`}
    >
      <header>
        <span className="tool-name">
          <ToolIcon /> {part.toolName || 'tool'}
        </span>
        <span className="tool-state">{state}</span>
      </header>
      {input && (
        <>
          <div className="tool-label">Input</div>
          <pre data-testid="tool-input" tabIndex={0}>
            {input}
          </pre>
        </>
      )}
      {hasOutput && (
        <>
          <div className="tool-label">{part.state === 'output-error' ? 'Error' : 'Result'}</div>
          <pre data-testid="tool-output" tabIndex={0}>
            {part.state === 'output-error' && part.errorText
              ? part.errorText
              : prettyJson(part.output)}
          </pre>
        </>
      )}
    </section>
  );
});

/**
 * Reasoning, collapsed (a native <details>: keyboard and screen readers know it) while it
 * streams and after; the summary says which.
 */
export const Reasoning = memo(function Reasoning({
  part,
  streaming,
}: {
  part: ReasoningPart;
  streaming: boolean;
}) {
  if (part.redacted !== undefined && !part.text) {
    return (
      <p className="reasoning redacted" data-testid="reasoning" data-redacted="true">
        Reasoning hidden by the provider
      </p>
    );
  }
  const words = part.text.trim() ? part.text.trim().split(/\s+/).length : 0;
  return (
    <details className="reasoning" data-testid="reasoning" data-streaming={streaming}>
      <summary>
        {streaming ? 'Thinking…' : 'Reasoning'}
        <span className="reasoning-size"> · {words} words</span>
      </summary>
      <p className="reasoning-text">{part.text}</p>
    </details>
  );
});

/** An image the user attached. */
export function ImageAttachment({ part }: { part: ImagePart }) {
  return (
    <img
      className="attached-image"
      data-testid="message-image"
      src={`data:image/${part.format.toLowerCase()};base64,${part.bytes}`}
      alt={`Attached ${part.format} image`}
    />
  );
}

/** A document the user attached: its name and format. */
export function DocumentAttachment({ part }: { part: DocumentPart }) {
  return (
    <span className="attached-document" data-testid="message-document">
      <FileIcon /> {part.name}
      <small> {part.format}</small>
    </span>
  );
}

/** Markdown text of an answer (memoised: a streaming answer re-renders only its last part). */
export const AnswerText = memo(function AnswerText({ text }: { text: string }) {
  return <LazyMarkdown text={text} />;
});
