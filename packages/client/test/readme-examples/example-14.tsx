import { useBedrockChat, useConversations } from '@org/bedrock-stream-client/react';
import { useState } from 'react';

export function Conversations() {
  const { conversations, create, rename, remove, hasMore, loadMore } = useConversations();
  const [open, setOpen] = useState<string | null>(null);
  const start = async () =>
    setOpen((await create({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0' })).conversationId);
  return (
    <>
      <button onClick={() => void start()}>New</button>
      {conversations.map((c) => (
        <div key={c.conversationId}>
          <button onClick={() => setOpen(c.conversationId)}>{c.title}</button>
          <button onClick={() => void rename(c.conversationId, 'Renamed')}>Rename</button>
          <button onClick={() => void remove(c.conversationId)}>Delete</button>
        </div>
      ))}
      {hasMore && <button onClick={() => void loadMore()}>More</button>}
      {open && <ChatView conversationId={open} />}
    </>
  );
}

function ChatView({ conversationId }: { conversationId: string }) {
  const { messages, status, error, sendMessage, stop, regenerate, addToolResult, retry } =
    useBedrockChat({ conversationId });
  return (
    <div>
      {messages.map((m) => (
        <p key={m.id}>
          {m.role}: {m.parts.map((p) => (p.type === 'text' ? p.text : '')).join('')}
          {m.parts.map((p) =>
            p.type === 'tool-call' && p.state === 'input-available' ? (
              <button
                key={p.toolCallId}
                onClick={() => void addToolResult({ toolCallId: p.toolCallId, output: 'ok' })}
              >
                Answer {p.toolName}
              </button>
            ) : null,
          )}
        </p>
      ))}
      {status === 'streaming' && <button onClick={() => void stop()}>Stop</button>}
      {status === 'ready' && <button onClick={() => void regenerate()}>Regenerate</button>}
      {status === 'error' && <button onClick={() => void retry()}>{error?.message} Retry</button>}
      <button onClick={() => void sendMessage('Hello!')}>Send</button>
    </div>
  );
}
