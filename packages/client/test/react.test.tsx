// @vitest-environment jsdom
/**
 * Hook tests. The core is replaced by FakeClient/FakeHandle (test/fake-core.ts), a
 * boundary stub of the StreamHandle interface, so each state transition is driven
 * explicitly; the real core is covered by the assembler and end-to-end tests.
 */
import { act, cleanup, render, renderHook, screen } from '@testing-library/react';
import { StrictMode, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamClientError } from '../src/errors.js';
import type { StreamResult } from '../src/stream-types.js';
import {
  BedrockStreamProvider,
  useBedrockStream,
  useStreamSubscription,
  type UseBedrockStreamOptions,
} from '../src/react/index.js';
import type { ChunkSubscriptionHandlers } from '../src/transport.js';
import { FakeClient } from './fake-core.js';

// vitest runs without globals, so RTL's automatic cleanup is not registered.
afterEach(cleanup);

const input = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', prompt: 'Hello?' };

function setup(options: UseBedrockStreamOptions = {}) {
  const client = new FakeClient();
  const wrapper = ({ children }: { children: ReactNode }) => (
    <BedrockStreamProvider client={client}>{children}</BedrockStreamProvider>
  );
  const hook = renderHook(() => useBedrockStream(options), { wrapper });
  return { client, ...hook };
}

describe('useBedrockStream', () => {
  it('goes idle -> submitted -> streaming -> done', async () => {
    const { client, result } = setup({ throttleMs: 0 });
    expect(result.current.status).toBe('idle');
    act(() => void result.current.start(input));
    expect(result.current.status).toBe('submitted');
    expect(result.current.streamId).toBe(client.last.streamId);
    act(() => client.last.begin());
    expect(result.current.status).toBe('streaming');
    act(() => client.last.pushText('Hi'));
    act(() => client.last.pushText(' there'));
    expect(result.current.text).toBe('Hi there');
    await act(async () => {
      client.last.end();
      await client.last.done;
    });
    expect(result.current.status).toBe('done');
    expect(result.current.text).toBe('Hi there');
    expect(result.current.usage).toEqual({ inputTokens: 1, outputTokens: 2, totalTokens: 3 });
  });

  it('cancel() asks the handle; status follows the worker’s confirmation', async () => {
    const { client, result } = setup({ throttleMs: 0 });
    act(() => void result.current.start(input));
    act(() => client.last.pushText('partial'));
    act(() => result.current.cancel());
    expect(client.last.cancelCalls).toBe(1);
    expect(result.current.status).toBe('streaming');
    await act(async () => {
      client.last.end('cancelled');
      await client.last.done;
    });
    expect(result.current.status).toBe('cancelled');
    expect(result.current.text).toBe('partial');
  });

  it('errors become status error with the typed error; retry starts a new stream', async () => {
    const { client, result } = setup({ throttleMs: 0 });
    act(() => void result.current.start(input));
    const first = client.last;
    await act(async () => {
      first.fail(new StreamClientError('ThrottlingException', 'slow down', true));
      await first.done;
    });
    expect(result.current.status).toBe('error');
    expect(result.current.error?.code).toBe('ThrottlingException');
    expect(result.current.error?.retryable).toBe(true);
    act(() => result.current.retry());
    expect(client.handles).toHaveLength(2);
    expect(client.last.input).toEqual(input);
    expect(result.current.status).toBe('submitted');
    expect(result.current.error).toBeNull();
    expect(result.current.streamId).toBe(client.last.streamId);
  });

  it('invalid input is rejected before anything is sent: status error INVALID_INPUT', () => {
    const { client, result } = setup();
    act(() => void result.current.start({ modelId: 'm', prompt: '' }));
    expect(result.current.status).toBe('error');
    expect(result.current.error?.code).toBe('INVALID_INPUT');
    expect(result.current.error?.message).toMatch(/prompt/);
    expect(client.handles).toHaveLength(0);
  });

  it('starting again replaces (and cancels) the running stream', () => {
    const { client, result } = setup({ throttleMs: 0 });
    act(() => void result.current.start(input));
    const first = client.last;
    act(() => first.pushText('old'));
    act(() => void result.current.start({ ...input, prompt: 'Again' }));
    expect(first.cancelCalls).toBe(1);
    expect(first.listenerCount).toBe(0);
    expect(result.current.text).toBe('');
    act(() => first.pushText(' ignored'));
    expect(result.current.text).toBe('');
  });

  it('unmount during a stream stops listening and cancels the generation', () => {
    const { client, result, unmount } = setup({ throttleMs: 0 });
    act(() => void result.current.start(input));
    act(() => client.last.pushText('some'));
    const errors = vi.spyOn(console, 'error');
    unmount();
    expect(client.last.listenerCount).toBe(0);
    expect(client.last.cancelCalls).toBe(1);
    // Updates after unmount reach nobody and warn about nothing.
    client.last.pushText(' more');
    client.last.end();
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  it('with cancelOnUnmount: false, unmount only detaches', () => {
    const { client, result, unmount } = setup({ cancelOnUnmount: false });
    act(() => void result.current.start(input));
    unmount();
    expect(client.last.cancelCalls).toBe(0);
    expect(client.last.detachCalls).toBe(1);
  });

  it('start() resolves with the stream’s result when it ends', async () => {
    const { client, result } = setup({ throttleMs: 0 });
    let finished: Promise<StreamResult> | undefined;
    act(() => {
      finished = result.current.start(input);
    });
    act(() => client.last.pushText('All of it'));
    await act(async () => {
      client.last.end();
      await client.last.done;
    });
    await expect(finished).resolves.toMatchObject({
      streamId: client.last.streamId,
      status: 'done',
      text: 'All of it',
      stopReason: 'end_turn',
      error: null,
    });
  });

  it('start() with rejected input resolves at once with the INVALID_INPUT result', async () => {
    const { client, result } = setup();
    let finished: Promise<StreamResult> | undefined;
    act(() => {
      finished = result.current.start({ modelId: 'm', prompt: '' });
    });
    const rejected = await finished!;
    expect(rejected).toMatchObject({ status: 'error', text: '', error: { code: 'INVALID_INPUT' } });
    expect(rejected.streamId).toBe(result.current.streamId);
    expect(client.handles).toHaveLength(0);
  });

  it('a replaced stream’s start() promise settles with that stream’s own end', async () => {
    const { client, result } = setup({ throttleMs: 0 });
    let first: Promise<StreamResult> | undefined;
    act(() => {
      first = result.current.start(input);
    });
    const firstHandle = client.last;
    act(() => void result.current.start({ ...input, prompt: 'Again' }));
    await act(async () => {
      firstHandle.end('cancelled');
      await firstHandle.done;
    });
    await expect(first).resolves.toMatchObject({
      streamId: firstHandle.streamId,
      status: 'cancelled',
    });
    expect(result.current.status).toBe('submitted'); // the new stream, untouched
  });

  it('exposes the ordered parts; a change to one part keeps the others’ identity', async () => {
    const { client, result } = setup({ throttleMs: 0 });
    expect(result.current.parts).toEqual([]);
    act(() => void result.current.start(input));
    act(() => client.last.setPart(0, { type: 'reasoning', text: 'Think', signature: 's' }));
    act(() => client.last.pushText('Hi'));
    const reasoning = result.current.parts[0];
    const call = {
      type: 'tool-call' as const,
      toolCallId: 't1',
      toolName: 'get_weather',
      state: 'streaming-input' as const,
      inputText: '{"ci',
    };
    act(() => client.last.setPart(2, call));
    act(() => client.last.pushText(' there')); // after a tool call: a new text part
    act(() =>
      client.last.setPart(2, {
        ...call,
        state: 'input-available',
        inputText: '{"city":"Paris"}',
        input: { city: 'Paris' },
      }),
    );
    expect(result.current.parts.map((p) => p.type)).toEqual([
      'reasoning',
      'text',
      'tool-call',
      'text',
    ]);
    expect(result.current.parts[0]).toBe(reasoning);
    expect(result.current.parts[2]).toMatchObject({ state: 'input-available' });
    expect(result.current.text).toBe('Hi there');
    await act(async () => {
      client.last.end();
      await client.last.done;
    });
    expect(result.current.parts).toBe(client.last.parts);
  });

  it('works under StrictMode (effects run twice)', () => {
    const client = new FakeClient();
    const { result } = renderHook(() => useBedrockStream({ client, throttleMs: 0 }), {
      wrapper: StrictMode,
    });
    act(() => void result.current.start(input));
    act(() => client.last.pushText('ok'));
    expect(result.current.text).toBe('ok');
  });

  it('without a provider or client it explains what is missing', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderHook(() => useBedrockStream())).toThrow(/BedrockStreamProvider/);
    errors.mockRestore();
  });
});

describe('useBedrockStream: throttled rendering', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function Counter({ throttleMs, onRender }: { throttleMs: number; onRender: () => void }) {
    const s = useBedrockStream({ throttleMs });
    onRender();
    return (
      <div>
        <button onClick={() => void s.start(input)}>go</button>
        <output data-testid="text">{s.text}</output>
        <output data-testid="status">{s.status}</output>
      </div>
    );
  }

  /** Renders, starts, streams 100 deltas 5 (fake) ms apart, ends. Returns renders while streaming. */
  async function run(throttleMs: number) {
    const client = new FakeClient();
    let renders = 0;
    render(
      <BedrockStreamProvider client={client}>
        <Counter throttleMs={throttleMs} onRender={() => renders++} />
      </BedrockStreamProvider>,
    );
    act(() => screen.getByText('go').click());
    act(() => client.last.begin());
    const before = renders;
    for (let i = 0; i < 100; i++) {
      act(() => {
        client.last.pushText(`${i},`);
        vi.advanceTimersByTime(5);
      });
    }
    act(() => vi.advanceTimersByTime(1_000));
    const streamingRenders = renders - before;
    // Nothing is lost by throttling: the last text shows before the end.
    const expected = Array.from({ length: 100 }, (_, i) => `${i},`).join('');
    expect(screen.getByTestId('text').textContent).toBe(expected);
    await act(async () => {
      client.last.end();
      await client.last.done;
    });
    expect(screen.getByTestId('status').textContent).toBe('done');
    return streamingRenders;
  }

  it('renders on every update with throttleMs 0', async () => {
    expect(await run(0)).toBe(100);
  });

  it('coalesces updates with throttleMs 100 (100 updates over 500 fake ms)', async () => {
    const renders = await run(100);
    expect(renders).toBeGreaterThanOrEqual(2);
    expect(renders).toBeLessThanOrEqual(8);
  });
});

describe('useStreamSubscription', () => {
  it('reports ack, raw chunks in arrival order and errors; unsubscribes on unmount', () => {
    let handlers: ChunkSubscriptionHandlers | undefined;
    let unsubscribed = 0;
    const client = {
      ...new FakeClient(),
      stream: () => {
        throw new Error('unused');
      },
      subscribeChunks: (_id: string, h: ChunkSubscriptionHandlers) => {
        handlers = h;
        return () => {
          unsubscribed++;
        };
      },
    };
    const { result, unmount } = renderHook(() => useStreamSubscription('s-1', { client }));
    expect(result.current.connected).toBe(false);
    act(() => handlers!.onAck!());
    expect(result.current.connected).toBe(true);
    const chunk = { streamId: 's-1', attempt: 1, seq: 1, payload: '{}', createdAt: 'now' };
    act(() => handlers!.onChunk({ ...chunk, seq: 1 }));
    act(() => handlers!.onChunk({ ...chunk, seq: 0 }));
    expect(result.current.chunks.map((c) => c.seq)).toEqual([1, 0]);
    expect(result.current.lastChunk?.seq).toBe(0);
    act(() => handlers!.onError!(new StreamClientError('CONNECTION_LOST', 'gone', true)));
    expect(result.current.connected).toBe(false);
    expect(result.current.error?.code).toBe('CONNECTION_LOST');
    unmount();
    expect(unsubscribed).toBe(1);
  });
});
