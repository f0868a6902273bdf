// @vitest-environment jsdom
/**
 * The hook's resume: the real core over MemoryTransport (the boundary stub of AppSync + the
 * store), so what the hook shows after a "reload" is what the store and the live chunks say.
 */
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { StrictMode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamClient } from '../src/client.js';
import { useBedrockStream } from '../src/react/index.js';
import { attemptChunks } from './helpers.js';
import { MemoryTransport } from './memory-transport.js';

afterEach(cleanup);

const input = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', prompt: 'Tell me' };
const texts = ['Once ', 'upon ', 'a ', 'time.'];

function clientOn(transport: MemoryTransport) {
  return createStreamClient(
    {
      url: 'http://127.0.0.1:1/graphql',
      region: 'us-east-1',
      auth: { type: 'API_KEY', apiKey: 'k' },
      gapFillDelayMs: 5,
      stallTimeoutMs: 40,
    },
    { transport },
  );
}

/** A stream started by an earlier page: two chunks out, `finish()` publishes the rest. */
async function streamFromAnEarlierPage(transport: MemoryTransport) {
  let chunks: ReturnType<typeof attemptChunks> = [];
  transport.onStart = ({ streamId }) => {
    chunks = attemptChunks(1, texts, { streamId });
    transport.publish(chunks[0]!);
    transport.publish(chunks[1]!);
  };
  const earlier = clientOn(transport);
  const handle = earlier.stream(input);
  await waitFor(() => expect(handle.text).toBe('Once upon '));
  earlier.close(); // the page went away
  return {
    streamId: handle.streamId,
    finish: () => chunks.slice(2).forEach((c) => transport.publish(c)),
  };
}

describe('useBedrockStream resume', () => {
  it('resumeStreamId shows the stored text at once, then streams on to the end', async () => {
    const transport = new MemoryTransport();
    const earlier = await streamFromAnEarlierPage(transport);
    const client = clientOn(transport);
    const { result } = renderHook(() =>
      useBedrockStream({ client, throttleMs: 0, resumeStreamId: earlier.streamId }),
    );
    await waitFor(() => expect(result.current.text).toBe('Once upon '));
    expect(result.current.status).toBe('streaming');
    expect(result.current.streamId).toBe(earlier.streamId);
    act(() => earlier.finish());
    await waitFor(() => expect(result.current.status).toBe('done'));
    expect(result.current.text).toBe(texts.join(''));
    expect(transport.workerStarts).toBe(1);
  });

  it('under StrictMode the resumed stream is followed, never cancelled', async () => {
    const transport = new MemoryTransport();
    const earlier = await streamFromAnEarlierPage(transport);
    const client = clientOn(transport);
    const { result } = renderHook(
      () => useBedrockStream({ client, throttleMs: 0, resumeStreamId: earlier.streamId }),
      { wrapper: StrictMode },
    );
    await waitFor(() => expect(result.current.text).toBe('Once upon '));
    act(() => earlier.finish());
    await waitFor(() => expect(result.current.status).toBe('done'));
    expect(transport.log).not.toContain('cancelStream');
  });

  it('unmount detaches a resumed stream (the generation goes on)', async () => {
    const transport = new MemoryTransport();
    const earlier = await streamFromAnEarlierPage(transport);
    const client = clientOn(transport);
    const { result, unmount } = renderHook(() =>
      useBedrockStream({ client, throttleMs: 0, resumeStreamId: earlier.streamId }),
    );
    await waitFor(() => expect(result.current.text).toBe('Once upon '));
    unmount();
    expect(transport.log).not.toContain('cancelStream');
    expect(client.activeStreams.size).toBe(0);
  });

  it('resume(streamId) follows a finished stream to the same end', async () => {
    const transport = new MemoryTransport();
    const earlier = await streamFromAnEarlierPage(transport);
    earlier.finish();
    const client = clientOn(transport);
    const { result } = renderHook(() => useBedrockStream({ client, throttleMs: 0 }));
    let ended: Awaited<ReturnType<typeof result.current.resume>> | undefined;
    await act(async () => {
      ended = await result.current.resume(earlier.streamId);
    });
    expect(ended).toMatchObject({ status: 'done', text: texts.join(''), stopReason: 'end_turn' });
    expect(result.current.status).toBe('done');
    expect(result.current.text).toBe(texts.join(''));
  });

  it('a malformed id shows INVALID_INPUT', async () => {
    const client = clientOn(new MemoryTransport());
    const { result } = renderHook(() => useBedrockStream({ client, resumeStreamId: 'nope' }));
    await waitFor(() => expect(result.current.status).toBe('error'));
    expect(result.current.error?.code).toBe('INVALID_INPUT');
  });
});
