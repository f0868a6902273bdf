// TEMPORARY stand-ins for useBedrockChat / useConversations of
// @org/bedrock-stream-client/react (being written on branch convo-client): the same
// signatures over the client's Chat and ConversationList, so the page switches by import.
import {
  Chat,
  ConversationList,
  type ChatSnapshot,
  type ConversationListSnapshot,
  type OnToolCall,
  type StreamClient,
  type TurnOptions,
} from '@org/bedrock-stream-client';
import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';

const ClientContext = createContext<StreamClient | null>(null);
export const ChatClientProvider = ClientContext.Provider;

function useClient(): StreamClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('no client');
  return client;
}

const noSubscribe = () => () => undefined;
const LOADING: ChatSnapshot = { messages: [], status: 'loading', error: null };

export function useBedrockChat({
  conversationId,
  onToolCall,
  options,
}: {
  conversationId: string;
  onToolCall?: OnToolCall;
  options?: TurnOptions;
}) {
  const client = useClient();
  const latest = useRef({ onToolCall, options });
  latest.current = { onToolCall, options };
  const [chat, setChat] = useState<Chat | null>(null);
  useEffect(() => {
    const next = new Chat({
      client,
      conversationId,
      onToolCall: (call) => latest.current.onToolCall?.(call),
      options: () => latest.current.options,
    });
    setChat(next);
    void next.load();
    return () => next.dispose();
  }, [client, conversationId]);
  const snapshot = useSyncExternalStore(
    chat?.subscribe ?? noSubscribe,
    chat?.getSnapshot ?? (() => LOADING),
  );
  const must = () => {
    if (!chat) throw new Error('not ready');
    return chat;
  };
  return {
    ...snapshot,
    sendMessage: (content: Parameters<Chat['sendMessage']>[0]) => must().sendMessage(content),
    editMessage: (id: string, content: Parameters<Chat['editMessage']>[1]) =>
      must().editMessage(id, content),
    stop: () => must().stop(),
    regenerate: () => must().regenerate(),
    retry: () => must().retry(),
  };
}

const EMPTY_LIST: ConversationListSnapshot = {
  conversations: [],
  status: 'loading',
  error: null,
  hasMore: false,
};

export function useConversations() {
  const client = useClient();
  const [list] = useState(() => new ConversationList({ client }));
  useEffect(() => void list.refresh(), [list]);
  const snapshot = useSyncExternalStore(list.subscribe, list.getSnapshot) ?? EMPTY_LIST;
  return {
    ...snapshot,
    create: (input: Parameters<ConversationList['create']>[0]) => list.create(input),
    rename: (id: string, title: string) => list.rename(id, title),
    remove: (id: string) => list.remove(id),
    refresh: () => list.refresh(),
    loadMore: () => list.loadMore(),
  };
}
