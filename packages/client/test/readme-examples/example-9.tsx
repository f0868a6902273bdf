import { memo } from 'react';
import type { StreamPart } from '@org/bedrock-stream-client';
import { useBedrockStream } from '@org/bedrock-stream-client/react';

const Part = memo(function Part({ part }: { part: StreamPart }) {
  switch (part.type) {
    case 'text':
      return <p>{part.text}</p>;
    case 'reasoning':
      return part.text ? (
        <details>
          <summary>Thinking</summary>
          {part.text}
        </details>
      ) : null;
    case 'tool-call':
      return (
        <pre>
          {part.toolName}({part.inputText}) {part.state}
          {part.state === 'output-available' && ` → ${JSON.stringify(part.output)}`}
          {part.state === 'output-error' && ` ✗ ${part.errorText}`}
        </pre>
      );
    case 'step-start':
      return part.step > 1 ? <hr /> : null;
  }
});

export function Answer() {
  const { parts } = useBedrockStream();
  return (
    <>
      {parts.map((part, i) => (
        <Part key={i} part={part} />
      ))}
    </>
  );
}
