/**
 * Core session behaviour (subscribe-first, gap filling, reconnect, watchdog, cancel) over
 * MemoryTransport — a boundary stub of AppSync + the store (see memory-transport.ts).
 * No timing is asserted: tests wait for `done` and check order, text and status.
 */
import { describe, expect, it } from 'vitest';
import { createStreamClient } from '../src/client.js';
import type { StreamUpdate } from '../src/stream-types.js';
import { attemptChunks, futureAttemptChunks } from './helpers.js';
import { MemoryTransport } from './memory-transport.js';

const input = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', prompt: 'Tell me' };
const texts = ['Once ', 'upon ', 'a ', 'time, ', 'the ', 'end.'];

function setup(transport = new MemoryTransport()) {
  const client = createStreamClient(
    {
      url: 'http://127.0.0.1:1/graphql',
      region: 'us-east-1',
      auth: { type: 'API_KEY', apiKey: 'k' },
      gapFillDelayMs: 5,
      stallTimeoutMs: 40,
      cancelGraceMs: 20,
      // These tests pin the subscribe-first protocol step by step (start-at-once.test.ts
      // covers the default order) and one subscription per stream (no warm connection).
      subscribeFirst: true,
      keepWarmMs: 0,
      // Up to 3 resubscriptions after the subscription that dropped.
      reconnect: { maxTries: 4, initialDelayMs: 2, maxDelayMs: 10 },
    },
    { transport },
  );
  return { client, transport };
}

describe('stream session (over the in-memory boundary stub)', () => {
  it('subscribes first, waits for start_ack, then starts; assembles the text', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      for (const c of attemptChunks(1, texts, { streamId })) transport.publish(c);
    };
    const handle = client.stream(input);
    const result = await handle.done;
    expect(transport.log.slice(0, 3)).toEqual(['subscribe', 'ack', 'startStream']);
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
    expect(result.stopReason).toBe('end_turn');
    expect(result.usage).toEqual({ inputTokens: 3, outputTokens: 6, totalTokens: 9 });
    expect(transport.subscriberCount).toBe(0); // unsubscribed at the end
    expect(client.activeStreams.size).toBe(0);
  });

  it('iteration yields typed updates in order and replays for late iterators', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      for (const c of attemptChunks(1, ['a', 'b'], { streamId })) transport.publish(c);
    };
    const handle = client.stream(input);
    const seen: StreamUpdate['type'][] = [];
    for await (const u of handle) seen.push(u.type);
    expect(seen).toEqual([
      'status',
      'status',
      'start',
      'text',
      'part',
      'text',
      'part',
      'end',
      'status',
    ]);
    const again: string[] = [];
    for await (const u of handle) if (u.type === 'text') again.push(u.delta);
    expect(again).toEqual(['a', 'b']);
  });

  it('lost, duplicated and reordered chunks are filled from the store', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const cs = attemptChunks(1, texts, { streamId });
      const order = [0, 2, 1, 4, 3, 5];
      for (const i of order)
        transport.publish(cs[i]!, { deliver: i !== 3, times: i === 2 ? 3 : 1 });
    };
    const result = await client.stream(input).done;
    expect(result.text).toBe(texts.join(''));
    expect(result.metrics.catchUpQueries).toBeGreaterThan(0);
    expect(result.metrics.duplicates).toBeGreaterThan(0);
  });

  it('after a WebSocket drop it resubscribes and catches up what was published meanwhile', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const cs = attemptChunks(1, texts, { streamId });
      transport.publish(cs[0]!);
      transport.publish(cs[1]!);
      transport.dropConnections();
      // Published while no one listens: AppSync replays nothing.
      for (const c of cs.slice(2)) transport.publish(c);
    };
    const result = await client.stream(input).done;
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
    expect(result.metrics.reconnects).toBe(1);
    const afterDrop = transport.log.slice(transport.log.indexOf('drop'));
    expect(afterDrop.slice(0, 4)).toEqual(['drop', 'subscribe', 'ack', 'streamChunks']);
  });

  it('gives up with CONNECTION_LOST when resubscribing keeps failing', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      transport.publish(attemptChunks(1, texts, { streamId })[0]!);
      transport.rejectSubscriptions = true;
      transport.dropConnections();
    };
    const result = await client.stream(input).done;
    expect(result.status).toBe('error');
    expect(result.error?.code).toBe('CONNECTION_LOST');
    expect(result.error?.retryable).toBe(true);
    expect(result.metrics.reconnects).toBe(3);
  });

  it('reconnect maxTries 1 (the dropped subscription was the only try) fails at the first drop', async () => {
    const transport = new MemoryTransport();
    const client = createStreamClient(
      {
        url: 'http://127.0.0.1:1/graphql',
        region: 'us-east-1',
        auth: { type: 'API_KEY', apiKey: 'k' },
        stallTimeoutMs: 10_000,
        reconnect: { maxTries: 1 },
        // The drop must come after start_ack (subscribe-first), the case this pins.
        subscribeFirst: true,
        keepWarmMs: 0,
      },
      { transport },
    );
    transport.onStart = ({ streamId }) => {
      transport.publish(attemptChunks(1, texts, { streamId })[0]!);
      transport.dropConnections();
    };
    const result = await client.stream(input).done;
    expect(result.error?.code).toBe('CONNECTION_LOST');
    expect(result.metrics.reconnects).toBe(0);
    expect(transport.log.filter((e) => e === 'subscribe')).toHaveLength(1);
  });

  it('a lost terminal chunk is found by the stall watchdog (getStream + catch-up)', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const cs = attemptChunks(1, texts, { streamId });
      cs.forEach((c, i) => transport.publish(c, { deliver: i < cs.length - 1 }));
      transport.finishRecord(streamId, { status: 'COMPLETED', stopReason: 'end_turn' });
    };
    const result = await client.stream(input).done;
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
    expect(transport.log).toContain('getStream');
  });

  it('a worker that died without a terminal chunk ends from the FAILED record', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      transport.publish(attemptChunks(1, texts, { streamId, end: false })[0]!);
      transport.finishRecord(streamId, {
        status: 'FAILED',
        error: JSON.stringify({ code: 'WorkerFailed', message: 'boom', retryable: true }),
      });
    };
    const result = await client.stream(input).done;
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({
      code: 'WorkerFailed',
      workerCode: 'WorkerFailed',
      message: 'boom',
      retryable: true,
    });
  });

  it('a stored error code this client does not know maps to UNKNOWN_WORKER_ERROR, keeping it', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      transport.publish(attemptChunks(1, texts, { streamId, end: false })[0]!);
      transport.finishRecord(streamId, {
        status: 'FAILED',
        error: JSON.stringify({ code: 'GpuMeltdown', message: 'boom', retryable: false, at: 1 }),
      });
    };
    const result = await client.stream(input).done;
    expect(result.error).toMatchObject({
      code: 'UNKNOWN_WORKER_ERROR',
      workerCode: 'GpuMeltdown',
      message: 'boom',
      retryable: false,
    });
  });

  it('a stored error that breaks StoredErrorSchema is STREAM_FAILED, not half-read', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      transport.publish(attemptChunks(1, texts, { streamId, end: false })[0]!);
      transport.finishRecord(streamId, {
        status: 'FAILED',
        error: JSON.stringify({ code: 'WorkerFailed', message: 'boom', retryable: 'yes' }),
      });
    };
    const result = await client.stream(input).done;
    expect(result.error).toMatchObject({
      code: 'STREAM_FAILED',
      workerCode: null,
      retryable: true,
    });
  });

  it('a completed record carries a stop reason this client does not know as it is', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const cs = attemptChunks(1, texts, { streamId });
      cs.forEach((c, i) => transport.publish(c, { deliver: i < cs.length - 1 }));
      // The record says more than the (lost) end chunk would: the record wins at a stall.
      transport.chunks.get(streamId)!.pop();
      transport.finishRecord(streamId, { status: 'COMPLETED', stopReason: 'reasoning_budget' });
    };
    const result = await client.stream(input).done;
    expect(result.status).toBe('done');
    expect(result.stopReason).toBe('reasoning_budget');
  });

  it('the worker’s error event ends the stream with its code', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      transport.publish(attemptChunks(1, ['x'], { streamId, end: false })[0]!);
      transport.publish({
        streamId,
        attempt: 1,
        seq: 1,
        createdAt: 'now',
        payload: JSON.stringify({
          v: 1,
          events: [{ type: 'error', code: 'ModelNotAllowed', message: 'no', retryable: false }],
        }),
      });
    };
    const result = await client.stream(input).done;
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ code: 'ModelNotAllowed', retryable: false });
  });

  it('a newer worker’s chunks: all text kept, ONE non-fatal notice for the unknown events', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const cs = futureAttemptChunks(
        1,
        [
          { text: 'Once ', unknown: 1 },
          { unknown: 2 }, // nothing this client knows, still a chunk
          { text: 'upon ', unknown: 0 },
          { text: 'a time', unknown: 3 },
        ],
        { streamId },
      );
      // Seq 1 is lost live: the gap is filled from the store, unknown events and all.
      cs.forEach((c, i) => transport.publish(c, { deliver: i !== 1 }));
    };
    const handle = client.stream(input);
    const updates: StreamUpdate[] = [];
    handle.subscribe((u) => updates.push(u));
    const result = await handle.done;
    expect(result.status).toBe('done');
    expect(result.text).toBe('Once upon a time');
    const notices = updates.filter((u) => u.type === 'notice');
    expect(notices).toEqual([
      {
        type: 'notice',
        code: 'UNKNOWN_EVENTS',
        eventTypes: ['citation'],
        message: expect.stringMatching(/citation/),
      },
    ]);
    expect(updates.some((u) => u.type === 'error')).toBe(false);
    expect(result.metrics.skippedEvents).toBe(6);
    expect(result.metrics.skippedEventTypes).toEqual([
      'citation',
      'guardrail-trace',
      'tool_progress',
    ]);
    expect(result.metrics.invalidPayloads).toBe(0);
    expect(result.metrics.catchUpChunks).toBeGreaterThan(0);
    // The notice comes in stream order, before the text of its chunk.
    expect(updates.findIndex((u) => u.type === 'notice')).toBeLessThan(
      updates.findIndex((u) => u.type === 'text'),
    );
  });

  it('an error code this client does not know ends the stream as UNKNOWN_WORKER_ERROR', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      transport.publish(attemptChunks(1, ['x'], { streamId, end: false })[0]!);
      transport.publish({
        streamId,
        attempt: 1,
        seq: 1,
        createdAt: 'now',
        payload: JSON.stringify({
          v: 1,
          events: [{ type: 'error', code: 'QuantumDecoherence', message: 'no', retryable: true }],
        }),
      });
    };
    const result = await client.stream(input).done;
    expect(result.error).toMatchObject({
      code: 'UNKNOWN_WORKER_ERROR',
      workerCode: 'QuantumDecoherence',
      message: 'no',
      retryable: true,
    });
  });

  it('a newer attempt replaces the text of a failed one', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      for (const c of attemptChunks(1, ['stale ', 'words'], { streamId, end: false })) {
        transport.publish(c);
      }
      for (const c of attemptChunks(2, texts, { streamId })) transport.publish(c);
    };
    const handle = client.stream(input);
    const types: string[] = [];
    handle.subscribe((u) => types.push(u.type));
    const result = await handle.done;
    expect(result.text).toBe(texts.join(''));
    expect(types).toContain('reset');
  });

  it('an invalid live payload is a non-fatal typed error; the stored copy fills its place', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const cs = attemptChunks(1, ['a', 'b', 'c'], { streamId });
      transport.publish(cs[0]!);
      transport.deliverOnly({ ...cs[1]!, payload: '{"v":2}' });
      transport.publish(cs[1]!, { deliver: false });
      transport.publish(cs[2]!);
    };
    const handle = client.stream(input);
    const errors: StreamUpdate[] = [];
    handle.subscribe((u) => u.type === 'error' && errors.push(u));
    const result = await handle.done;
    expect(result.status).toBe('done');
    expect(result.text).toBe('abc');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      type: 'error',
      fatal: false,
      error: { code: 'INVALID_PAYLOAD' },
    });
    expect(result.metrics.invalidPayloads).toBe(1);
    expect(result.metrics.catchUpChunks).toBeGreaterThan(0);
  });

  it('a stored invalid payload is skipped after catch-up; the stream goes on', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const cs = attemptChunks(1, ['a', 'b', 'c'], { streamId });
      transport.publish(cs[0]!);
      transport.publish({ ...cs[1]!, payload: '{"v":2}' });
      transport.publish(cs[2]!);
    };
    const result = await client.stream(input).done;
    expect(result.status).toBe('done');
    expect(result.text).toBe('ac');
    // Once live, once from the store (which is final).
    expect(result.metrics.invalidPayloads).toBe(2);
  });

  it('cancel() sends cancelStream and ends cancelled on the worker’s end chunk', async () => {
    const { client, transport } = setup();
    let cs: ReturnType<typeof attemptChunks> = [];
    transport.onStart = ({ streamId }) => {
      cs = attemptChunks(1, ['partial ', 'text'], { streamId, stopReason: 'cancelled' });
      transport.publish(cs[0]!);
    };
    transport.onCancel = () => transport.publish(cs[1]!);
    const handle = client.stream(input);
    handle.subscribe((u) => {
      if (u.type === 'text') void handle.cancel();
    });
    const result = await handle.done;
    expect(transport.log).toContain('cancelStream');
    expect(result.status).toBe('cancelled');
    expect(result.stopReason).toBe('cancelled');
    expect(result.text).toBe('partial text');
  });

  it('cancel whose end chunk is lost still ends cancelled (from the record)', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      transport.publish(attemptChunks(1, ['x'], { streamId, end: false })[0]!);
    };
    transport.onCancel = (streamId) =>
      transport.finishRecord(streamId, { status: 'CANCELLED', stopReason: 'cancelled' });
    const handle = client.stream(input);
    handle.subscribe((u) => {
      if (u.type === 'text') void handle.cancel();
    });
    const result = await handle.done;
    expect(result.status).toBe('cancelled');
  });

  it('an AbortSignal aborted before start_ack means startStream is never sent', async () => {
    const { client, transport } = setup();
    const controller = new AbortController();
    const handle = client.stream(input, { signal: controller.signal });
    controller.abort();
    const result = await handle.done;
    expect(result.status).toBe('cancelled');
    expect(transport.log).not.toContain('startStream');
  });

  it('a subscription that is never acknowledged fails before anything is started', async () => {
    const transport = new MemoryTransport();
    transport.rejectSubscriptions = true;
    const { client } = setup(transport);
    const result = await client.stream(input).done;
    expect(result.status).toBe('error');
    expect(result.error?.code).toBe('SUBSCRIBE_FAILED');
    expect(transport.log).not.toContain('startStream');
  });

  it('close() ends running streams with CLIENT_CLOSED and refuses new ones', async () => {
    const { client } = setup();
    const handle = client.stream(input);
    client.close();
    const result = await handle.done;
    expect(result.error?.code).toBe('CLIENT_CLOSED');
    expect(() => client.stream(input)).toThrow(/closed/);
  });

  it('detach() stops following without cancelling', async () => {
    const { client, transport } = setup();
    const handle = client.stream(input);
    handle.detach();
    const result = await handle.done;
    expect(result.error?.code).toBe('DETACHED');
    expect(transport.log).not.toContain('cancelStream');
  });
});
