/**
 * Core session behaviour (subscribe-first, gap filling, reconnect, watchdog, cancel) over
 * MemoryTransport — a boundary stub of AppSync + the store (see memory-transport.ts).
 * No timing is asserted: tests wait for `done` and check order, text and status.
 */
import { describe, expect, it } from 'vitest';
import { createStreamClient } from '../src/client.js';
import type { StreamUpdate } from '../src/stream.js';
import { attemptChunks } from './helpers.js';
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
      reconnectDelayMs: 2,
      cancelGraceMs: 20,
      maxReconnects: 3,
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
    expect(seen).toEqual(['status', 'status', 'start', 'text', 'text', 'end', 'status']);
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
        error: JSON.stringify({ code: 'WorkerCrashed', message: 'boom', retryable: true }),
      });
    };
    const result = await client.stream(input).done;
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ code: 'WorkerCrashed', message: 'boom', retryable: true });
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
