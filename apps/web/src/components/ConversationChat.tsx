import type { UserPart } from '@org/bedrock-stream-contracts';
import { useBedrockChat } from '@org/bedrock-stream-client/react';
import { useCallback, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { errorText } from '../conversation.js';
import { CLIENT_TOOLS, runClientTool } from '../demo-tool.js';
import { ChatPane } from './ChatPane.js';

/** Extended thinking for a turn: Anthropic's minimum budget, and room to answer after it. */
const THINKING_OPTIONS = {
  thinking: { budgetTokens: 1_024 },
  inferenceConfig: { maxTokens: 4_096 },
};

/**
 * One stored conversation, live: `useBedrockChat` loads its history (joining an answer that
 * is still streaming), sends, stops, regenerates, edits, and runs the demo client tool.
 */
export function ConversationChat({
  conversationId,
  thinking,
  firstMessage,
  onFirstMessageSent,
  onSettled,
  empty,
}: {
  conversationId: string;
  /** Ask for extended thinking (reasoning) in the next turns. */
  thinking: boolean;
  /** A new conversation's first message, sent once its (empty) history has loaded. */
  firstMessage?: UserPart[] | null | undefined;
  onFirstMessageSent?: () => void;
  /** An answer ended (or the chat settled): lists and usage may have changed. */
  onSettled?: () => void;
  empty: ReactNode;
}) {
  const options = useMemo(
    () => ({ toolConfig: CLIENT_TOOLS, ...(thinking ? THINKING_OPTIONS : {}) }),
    [thinking],
  );
  const chat = useBedrockChat({
    conversationId,
    options,
    onToolCall: ({ toolCall }) => runClientTool(toolCall.toolName, toolCall.input),
  });
  const { status, sendMessage } = chat;

  // The first message of a new conversation goes out once the chat is ready (once only).
  const sentFirst = useRef(false);
  useEffect(() => {
    if (!firstMessage || sentFirst.current || status !== 'ready') return;
    sentFirst.current = true;
    void sendMessage(firstMessage);
    onFirstMessageSent?.();
  }, [firstMessage, status, sendMessage, onFirstMessageSent]);

  // Told once per change to settled (not on every render: the callback may change identity).
  const settled = status === 'ready' || status === 'error';
  const onSettledRef = useRef(onSettled);
  onSettledRef.current = onSettled;
  useEffect(() => {
    if (settled) onSettledRef.current?.();
  }, [settled]);

  const edit = useCallback(
    (messageId: string, parts: UserPart[]) => void chat.editMessage(messageId, parts),
    [chat.editMessage],
  );
  const regenerate = useCallback(() => void chat.regenerate(), [chat.regenerate]);
  const retry = useCallback(() => void chat.retry(), [chat.retry]);

  return (
    <ChatPane
      messages={chat.messages}
      status={status}
      error={chat.error ? errorText(chat.error) : null}
      empty={empty}
      onSend={(parts) => void sendMessage(parts)}
      onStop={() => void chat.stop()}
      onEdit={edit}
      onRegenerate={regenerate}
      onRetry={retry}
    />
  );
}
