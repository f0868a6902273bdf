// The conversation hooks: thin layers over the core's Chat and ConversationList, read with
// useSyncExternalStore. The core keeps every rule (turns, tool calls, joining a running
// answer); these only create, load and dispose them with the component.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Chat, type ChatClient, type ChatSnapshot, type OnToolCall } from '../chat.js';
import { ConversationList, type ConversationListSnapshot } from '../conversation-list.js';
import type { ChatMessage, Conversation, ConversationsApi } from '../conversations.js';
import { StreamClientError } from '../errors.js';
import type { ToolResult } from '../messages.js';
import type { TurnOptions } from '../turn-options.js';
import type { AttachmentStore, UserContent } from '../user-content.js';
import { useStreamClient, type StreamClientLike } from './index.js';

/** Options of {@link useBedrockChat}. */
export interface UseBedrockChatOptions {
  /** The conversation to show; none (null) shows an empty, ready chat whose actions reject. */
  conversationId: string | null | undefined;
  /** Overrides the provider's client. */
  client?: StreamClientLike;
  /** Runs client tools automatically (see the core's `OnToolCall`); read at each call. */
  onToolCall?: OnToolCall;
  /** Options of every turn (sampling, client tools, thinking); read at each turn. */
  options?: TurnOptions;
  /** Where attachments too large to travel inline go. */
  attachmentStore?: AttachmentStore;
  /** Called once per answer when its stream ends. */
  onFinish?: (message: ChatMessage) => void;
  /**
   * Re-render at most once per this many milliseconds while an answer streams in (status
   * changes render at once). 0 renders on every change. Default 50.
   */
  throttleMs?: number;
}

/** What {@link useBedrockChat} returns: the chat's snapshot and its actions. */
export interface UseBedrockChatResult extends ChatSnapshot {
  sendMessage: (content: UserContent) => Promise<void>;
  editMessage: (messageId: string, content: UserContent) => Promise<void>;
  stop: () => Promise<void>;
  regenerate: () => Promise<void>;
  addToolResult: (result: ToolResult) => Promise<void>;
  retry: () => Promise<void>;
  /** Reads the history again. */
  reload: () => Promise<void>;
}

const LOADING: ChatSnapshot = Object.freeze({ messages: [], status: 'loading', error: null });
const NO_CONVERSATION: ChatSnapshot = Object.freeze({ messages: [], status: 'ready', error: null });

function chatClient(client: StreamClientLike): ChatClient {
  if (!client.conversations || !client.resume) {
    throw new Error(
      'useBedrockChat needs a client with conversations and resume (createStreamClient())',
    );
  }
  return client as ChatClient;
}

/**
 * One conversation in component state (the core's {@link Chat}): its history loads on
 * mount (an answer still streaming is joined), then `sendMessage`, `editMessage`, `stop`,
 * `regenerate`, `addToolResult` and `retry` change it. On unmount (or another
 * `conversationId`) the chat stops following; a running answer goes on server-side.
 *
 * @example
 * ```tsx
 * const { messages, status, sendMessage, stop } = useBedrockChat({ conversationId });
 * ```
 */
export function useBedrockChat(options: UseBedrockChatOptions): UseBedrockChatResult {
  const client = useStreamClient(options.client);
  const latest = useRef(options);
  latest.current = options;
  const { conversationId } = options;
  const [chat, setChat] = useState<Chat | null>(null);

  useEffect(() => {
    if (!conversationId) {
      setChat(null);
      return;
    }
    const next = new Chat({
      client: chatClient(client),
      conversationId,
      onToolCall: (arg) => latest.current.onToolCall?.(arg),
      options: () => latest.current.options,
      onFinish: (message) => latest.current.onFinish?.(message),
      get attachmentStore() {
        return latest.current.attachmentStore;
      },
    });
    setChat(next);
    void next.load();
    return () => next.dispose();
  }, [client, conversationId]);

  // Until the effect made this conversation's chat, show it loading (not the last one).
  const current = chat && chat.conversationId === conversationId ? chat : null;
  // The snapshot shown: the chat's, taken at most once per throttleMs while only the
  // messages change (a status change is taken at once, so the end always shows).
  const shown = useRef<{ chat: Chat | null; snapshot: ChatSnapshot } | null>(null);
  if (current && shown.current?.chat !== current) {
    shown.current = { chat: current, snapshot: current.getSnapshot() };
  }
  const throttleMs = options.throttleMs ?? 50;
  const subscribe = useCallback(
    (listener: () => void) => {
      if (!current) return () => {};
      let timer: ReturnType<typeof setTimeout> | undefined;
      let lastAt = 0;
      const take = () => {
        clearTimeout(timer);
        timer = undefined;
        lastAt = Date.now();
        shown.current = { chat: current, snapshot: current.getSnapshot() };
        listener();
      };
      const off = current.subscribe(() => {
        const next = current.getSnapshot();
        const wait = throttleMs - (Date.now() - lastAt);
        if (throttleMs <= 0 || next.status !== shown.current?.snapshot.status || wait <= 0) take();
        else timer ??= setTimeout(take, wait);
      });
      // Whatever changed between render and subscribe.
      if (shown.current?.snapshot !== current.getSnapshot()) take();
      return () => {
        off();
        clearTimeout(timer);
      };
    },
    [current, throttleMs],
  );
  const getSnapshot = useCallback(
    () =>
      (current && shown.current?.chat === current ? shown.current.snapshot : null) ??
      (conversationId ? LOADING : NO_CONVERSATION),
    [current, conversationId],
  );
  const snapshot = useSyncExternalStore(subscribe, getSnapshot, getSnapshot);

  const actions = useMemo(() => {
    const run =
      <A extends unknown[]>(fn: (chat: Chat, ...args: A) => Promise<void>) =>
      (...args: A): Promise<void> =>
        current
          ? fn(current, ...args)
          : Promise.reject(
              new StreamClientError(
                'CHAT_BUSY',
                conversationId
                  ? 'the conversation is still loading'
                  : 'no conversation: pass a conversationId',
                false,
              ),
            );
    return {
      sendMessage: run((c, content: UserContent) => c.sendMessage(content)),
      editMessage: run((c, id: string, content: UserContent) => c.editMessage(id, content)),
      stop: run((c) => c.stop()),
      regenerate: run((c) => c.regenerate()),
      addToolResult: run((c, result: ToolResult) => c.addToolResult(result)),
      retry: run((c) => c.retry()),
      reload: run((c) => c.load()),
    };
  }, [current, conversationId]);

  return { ...snapshot, ...actions };
}

/** Options of {@link useConversations}. */
export interface UseConversationsOptions {
  client?: StreamClientLike;
  /** Conversations per page. Default 50. */
  pageSize?: number;
}

/** What {@link useConversations} returns. */
export interface UseConversationsResult extends Omit<ConversationListSnapshot, 'hasMore'> {
  hasMore: boolean;
  create: (input: Parameters<ConversationsApi['create']>[0]) => Promise<Conversation>;
  rename: (conversationId: string, title: string) => Promise<Conversation>;
  remove: (conversationId: string) => Promise<void>;
  refresh: () => Promise<void>;
  loadMore: () => Promise<void>;
}

/**
 * The caller's conversations, newest first (the core's {@link ConversationList}): the
 * first page loads on mount; `create`, `rename` and `remove` change the list once the
 * server answered (they reject with its error).
 */
export function useConversations(options: UseConversationsOptions = {}): UseConversationsResult {
  const client = useStreamClient(options.client);
  const pageSize = options.pageSize;
  const list = useMemo(() => {
    if (!client.conversations) {
      throw new Error('useConversations needs a client with conversations (createStreamClient())');
    }
    const conversations = client.conversations;
    return new ConversationList({
      client: { conversations },
      ...(pageSize !== undefined ? { pageSize } : {}),
    });
  }, [client, pageSize]);
  useEffect(() => {
    void list.refresh();
  }, [list]);
  const snapshot = useSyncExternalStore(list.subscribe, list.getSnapshot, list.getSnapshot);
  return useMemo(
    () => ({
      ...snapshot,
      create: (input) => list.create(input),
      rename: (id, title) => list.rename(id, title),
      remove: (id) => list.remove(id),
      refresh: () => list.refresh(),
      loadMore: () => list.loadMore(),
    }),
    [snapshot, list],
  );
}
