// @vitest-environment jsdom
/**
 * useBedrockChat / useConversations: thin hooks over the core's Chat and ConversationList,
 * driven through the real client core over MemoryConversations (a boundary stub of the
 * conversation resolvers, the worker's writes and AppSync; see memory-conversations.ts).
 */
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { StrictMode, type ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamClient } from '../src/client.js';
import { ConversationList } from '../src/conversation-list.js';
import {
  BedrockStreamProvider,
  useBedrockChat,
  useConversations,
  type UseBedrockChatOptions,
} from '../src/react/index.js';
import { MemoryConversations } from './memory-conversations.js';

afterEach(cleanup);

const modelId = 'anthropic.claude-3-haiku-20240307-v1:0';

function setup() {
  const transport = new MemoryConversations();
  const client = createStreamClient(
    {
      url: 'http://127.0.0.1:1/graphql',
      region: 'us-east-1',
      auth: { type: 'API_KEY', apiKey: 'k' },
      browserLifecycle: false,
      stallTimeoutMs: 40,
      cancelGraceMs: 20,
    },
    { transport },
  );
  const wrapper = ({ children }: { children: ReactNode }) => (
    <StrictMode>
      <BedrockStreamProvider client={client}>{children}</BedrockStreamProvider>
    </StrictMode>
  );
  return { client, transport, wrapper };
}

describe('useBedrockChat', () => {
  it('loads, sends, streams and runs a client tool through onToolCall', async () => {
    const { client, transport, wrapper } = setup();
    let turn = 0;
    transport.onStart = ({ streamId }) =>
      ++turn === 1
        ? transport.answer(
            streamId,
            [
              { type: 'tool-call-start', toolCallId: 't1', toolName: 'clock' },
              { type: 'tool-call', toolCallId: 't1', toolName: 'clock', input: {} },
            ],
            { stopReason: 'tool_use' },
          )
        : transport.answer(streamId, [{ type: 'text', text: 'It is noon.' }]);
    const { conversationId } = await client.conversations.create({ modelId });
    const { result } = renderHook((props: UseBedrockChatOptions) => useBedrockChat(props), {
      wrapper,
      initialProps: { conversationId, onToolCall: () => ({ time: '12:00' }) },
    });
    expect(result.current.status).toBe('loading');
    await waitFor(() => expect(result.current.status).toBe('ready'));
    await act(() => result.current.sendMessage('What time is it?'));
    await waitFor(() => expect(result.current.status).toBe('ready'));
    const [user, answer] = result.current.messages;
    expect(user!.parts).toEqual([{ type: 'text', text: 'What time is it?' }]);
    expect(answer!.status).toBe('COMPLETE');
    expect(answer!.parts).toEqual([
      expect.objectContaining({
        type: 'tool-call',
        state: 'output-available',
        output: { time: '12:00' },
      }),
      { type: 'text', text: 'It is noon.' },
    ]);
  });

  it('switching conversations shows the other history; no conversation rejects actions', async () => {
    const { client, transport, wrapper } = setup();
    transport.onStart = ({ streamId }) =>
      transport.answer(streamId, [{ type: 'text', text: 'ok' }]);
    const a = await client.conversations.create({ modelId, title: 'A' });
    const b = await client.conversations.create({ modelId, title: 'B' });
    const { result, rerender } = renderHook(
      (props: UseBedrockChatOptions) => useBedrockChat(props),
      { wrapper, initialProps: { conversationId: a.conversationId } as UseBedrockChatOptions },
    );
    await waitFor(() => expect(result.current.status).toBe('ready'));
    await act(() => result.current.sendMessage('in A'));
    expect(result.current.messages).toHaveLength(2);
    rerender({ conversationId: b.conversationId });
    await waitFor(() => expect(result.current.status).toBe('ready'));
    expect(result.current.messages).toEqual([]);
    rerender({ conversationId: null });
    expect(result.current.status).toBe('ready');
    await expect(result.current.sendMessage('x')).rejects.toMatchObject({
      message: 'no conversation: pass a conversationId',
    });
  });
});

describe('useConversations', () => {
  it('lists newest first and creates, renames, removes', async () => {
    const { client, wrapper } = setup();
    await client.conversations.create({ modelId, title: 'old' });
    const { result } = renderHook(() => useConversations({ pageSize: 10 }), { wrapper });
    await waitFor(() => expect(result.current.status).toBe('ready'));
    expect(result.current.conversations.map((c) => c.title)).toEqual(['old']);
    const created = await act(() => result.current.create({ modelId, title: 'new' }));
    expect(result.current.conversations.map((c) => c.title)).toEqual(['new', 'old']);
    await act(() => result.current.rename(created.conversationId, 'renamed'));
    expect(result.current.conversations[0]!.title).toBe('renamed');
    await act(() => result.current.remove(created.conversationId));
    expect(result.current.conversations.map((c) => c.title)).toEqual(['old']);
    expect(result.current.hasMore).toBe(false);
  });
});

describe('ConversationList', () => {
  it('keeps a rename, create and remove made while a refresh it crossed was in flight', async () => {
    const { client } = setup();
    const kept = await client.conversations.create({ modelId, title: 'kept' });
    const gone = await client.conversations.create({ modelId, title: 'gone' });
    let release = () => {};
    let held: Promise<void> | null = null;
    // The list is read before the changes reach the server, and answers after them.
    const conversations = {
      ...client.conversations,
      list: async (v: Parameters<typeof client.conversations.list>[0]) => {
        const page = await client.conversations.list(v);
        if (held) await held;
        return page;
      },
    };
    const list = new ConversationList({ client: { ...client, conversations } });
    await list.refresh();
    held = new Promise<void>((resolve) => (release = resolve));
    const refreshing = list.refresh();
    await list.rename(kept.conversationId, 'renamed');
    const created = await list.create({ modelId, title: 'new' });
    await list.remove(gone.conversationId);
    release();
    await refreshing;
    expect(list.getSnapshot().status).toBe('ready');
    expect(list.getSnapshot().conversations.map((c) => [c.conversationId, c.title])).toEqual([
      [created.conversationId, 'new'],
      [kept.conversationId, 'renamed'],
    ]);
  });
});
