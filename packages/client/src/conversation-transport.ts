// The conversation operations as the transport sends them (each tried once; the client
// retries and checks every answer with zod in conversations.ts). Apart from transport.ts
// because they are many and none of them touches the real-time link.
import type { ApolloClient } from '@apollo/client/core';
import {
  ConversationMessagesDocument,
  CreateConversationDocument,
  DeleteConversationDocument,
  GetConversationDocument,
  ListConversationsDocument,
  RegenerateMessageDocument,
  RenameConversationDocument,
  SendMessageDocument,
  SubmitToolResultsDocument,
  type ConversationMessagesQuery,
  type ConversationMessagesQueryVariables,
  type CreateConversationInput,
  type ListConversationsQuery,
  type ListConversationsQueryVariables,
  type RegenerateMessageInput,
  type SendMessageInput,
  type SubmitToolResultsInput,
} from '@org/bedrock-stream-contracts';
import { refusedStartError } from './errors.js';
import { asClientError } from './operation-retry.js';
import type { StreamHandleRecord } from './transport.js';

/** A conversation as the API returns it (unchecked). */
export type ConversationRecord = ListConversationsQuery['listConversations']['items'][number];
/** A stored message as the API returns it (unchecked; `parts`, `usage`, `error` are AWSJSON). */
export type ConversationMessageRecord =
  ConversationMessagesQuery['conversationMessages']['items'][number];
/** What sendMessage, regenerateMessage and submitToolResults return (unchecked). */
export interface ConversationTurnRecord {
  conversation: ConversationRecord;
  userMessage: ConversationMessageRecord | null;
  assistantMessage: ConversationMessageRecord;
  stream: StreamHandleRecord;
}
/** A page of conversations or messages. */
export interface PageRecord<T> {
  items: T[];
  nextToken: string | null;
}

/**
 * The conversation operations, each tried once. Failures should be `StreamClientError`s
 * (or anything else, which the client classifies itself), like {@link StreamTransport}'s.
 */
export interface ConversationTransport {
  listConversations(v: ListConversationsQueryVariables): Promise<PageRecord<ConversationRecord>>;
  getConversation(conversationId: string): Promise<ConversationRecord | null>;
  conversationMessages(
    v: ConversationMessagesQueryVariables,
  ): Promise<PageRecord<ConversationMessageRecord>>;
  createConversation(input: CreateConversationInput): Promise<ConversationRecord>;
  renameConversation(conversationId: string, title: string): Promise<ConversationRecord>;
  deleteConversation(conversationId: string): Promise<ConversationRecord>;
  sendMessage(input: SendMessageInput): Promise<ConversationTurnRecord>;
  regenerateMessage(input: RegenerateMessageInput): Promise<ConversationTurnRecord>;
  submitToolResults(input: SubmitToolResultsInput): Promise<ConversationTurnRecord>;
}

/** Runs one operation; a missing `data` or GraphQL errors become the operation's error. */
async function once<T>(
  name: string,
  code: 'QUERY_FAILED' | 'MUTATION_FAILED' | 'START_FAILED',
  run: () => Promise<{ data?: T | null | undefined; error?: unknown }>,
): Promise<T> {
  try {
    const res = await run();
    if (res.error) throw res.error;
    if (!res.data) throw new Error(`${name} returned no data`);
    return res.data;
  } catch (err) {
    // A quota's refusal of a turn keeps its typed error, as startStream's does.
    if (code === 'START_FAILED') throw refusedStartError(err) ?? asClientError(code, name, err);
    throw asClientError(code, name, err);
  }
}

/** The conversation operations over an ApolloClient (caching off, as the stream operations). */
export function createApolloConversationTransport(apollo: ApolloClient): ConversationTransport {
  return {
    listConversations: async (variables) =>
      (
        await once('listConversations', 'QUERY_FAILED', () =>
          apollo.query({ query: ListConversationsDocument, variables }),
        )
      ).listConversations,
    getConversation: async (conversationId) =>
      (
        await once('getConversation', 'QUERY_FAILED', () =>
          apollo.query({ query: GetConversationDocument, variables: { conversationId } }),
        )
      ).getConversation,
    conversationMessages: async (variables) =>
      (
        await once('conversationMessages', 'QUERY_FAILED', () =>
          apollo.query({ query: ConversationMessagesDocument, variables }),
        )
      ).conversationMessages,
    createConversation: async (input) =>
      (
        await once('createConversation', 'MUTATION_FAILED', () =>
          apollo.mutate({ mutation: CreateConversationDocument, variables: { input } }),
        )
      ).createConversation,
    renameConversation: async (conversationId, title) =>
      (
        await once('renameConversation', 'MUTATION_FAILED', () =>
          apollo.mutate({
            mutation: RenameConversationDocument,
            variables: { conversationId, title },
          }),
        )
      ).renameConversation,
    deleteConversation: async (conversationId) =>
      (
        await once('deleteConversation', 'MUTATION_FAILED', () =>
          apollo.mutate({ mutation: DeleteConversationDocument, variables: { conversationId } }),
        )
      ).deleteConversation,
    sendMessage: async (input) =>
      (
        await once('sendMessage', 'START_FAILED', () =>
          apollo.mutate({ mutation: SendMessageDocument, variables: { input } }),
        )
      ).sendMessage,
    regenerateMessage: async (input) =>
      (
        await once('regenerateMessage', 'START_FAILED', () =>
          apollo.mutate({ mutation: RegenerateMessageDocument, variables: { input } }),
        )
      ).regenerateMessage,
    submitToolResults: async (input) =>
      (
        await once('submitToolResults', 'START_FAILED', () =>
          apollo.mutate({ mutation: SubmitToolResultsDocument, variables: { input } }),
        )
      ).submitToolResults,
  };
}
