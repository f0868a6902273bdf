/**
 * The default start order (issue 18): the start mutation goes out with the subscription,
 * not after its start_ack, and what the worker published before the subscription was live
 * comes from the store. And the warm connection kept between streams. Over the in-memory
 * boundary stub (a slow start_ack on demand cannot be produced by the local stack).
 */
import { describe, expect, it } from 'vitest';
import { createStreamClient } from '../src/client.js';
import type { StreamClientOptions } from '../src/options.js';
import { attemptChunks } from './helpers.js';
import { MemoryTransport } from './memory-transport.js';

const input = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', prompt: 'Tell me' };
const texts = ['Once ', 'upon ', 'a ', 'time, ', 'the ', 'end.'];
const fast = { maxTries: 1, initialDelayMs: 1, maxDelayMs: 2 };

function setup(overrides: Partial<StreamClientOptions> = {}) {
  const transport = new MemoryTransport();
  const client = createStreamClient(
    {
      url: 'http://127.0.0.1:1/graphql',
      region: 'us-east-1',
      auth: { type: 'API_KEY', apiKey: 'k' },
      gapFillDelayMs: 5,
      stallTimeoutMs: 1_000,
      ...overrides,
    },
    { transport },
  );
  transport.onStart = ({ streamId }) => {
    for (const c of attemptChunks(1, texts, { streamId })) transport.publish(c);
  };
  return { client, transport };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('start at once (default order)', () => {
  it('sends the start before start_ack and catches up what was published before it', async () => {
    const { client, transport } = setup({ keepWarmMs: 0 });
    // The whole answer is published before the subscription is acknowledged.
    transport.ackDelayMs = 30;
    const handle = client.stream(input);
    const result = await handle.done;
    expect(transport.log.indexOf('startStream')).toBeLessThan(transport.log.indexOf('ack'));
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
    // Every chunk came from the store: none was live yet.
    expect(result.metrics.catchUpChunks).toBe(transport.chunks.get(handle.streamId)!.length);
    client.close();
  });

  it('with subscribeFirst, waits for start_ack before the start', async () => {
    const { client, transport } = setup({ keepWarmMs: 0, subscribeFirst: true });
    transport.ackDelayMs = 10;
    const result = await client.stream(input).done;
    expect(transport.log.slice(0, 3)).toEqual(['subscribe', 'ack', 'startStream']);
    expect(result.text).toBe(texts.join(''));
    client.close();
  });

  it('a subscription that cannot be made after the start stops the answer: SUBSCRIBE_FAILED', async () => {
    const { client, transport } = setup({ keepWarmMs: 0, reconnect: fast });
    transport.onStart = () => undefined;
    transport.rejectSubscriptions = true;
    const result = await client.stream(input).done;
    expect(result.error?.code).toBe('SUBSCRIBE_FAILED');
    await sleep(5);
    expect(transport.log).toContain('startStream');
    // Nobody can follow it: the worker is told to stop rather than bill an unseen answer.
    expect(transport.log).toContain('cancelStream');
    client.close();
  });
});

describe('warm connection', () => {
  it('connect() opens the connection ahead of the first stream and keeps it between streams', async () => {
    const { client, transport } = setup({ keepWarmMs: 60_000 });
    await client.connect();
    expect(transport.subscriberCount).toBe(1);
    const result = await client.stream(input).done;
    expect(result.text).toBe(texts.join(''));
    await sleep(5);
    // The stream's own subscription ended; the holding one stays.
    expect(transport.subscriberCount).toBe(1);
    client.close();
    expect(transport.subscriberCount).toBe(0);
  });

  it('lets the connection go keepWarmMs after the last stream', async () => {
    const { client, transport } = setup({ keepWarmMs: 40 });
    await client.stream(input).done;
    await sleep(5);
    expect(transport.subscriberCount).toBe(1);
    await sleep(80);
    expect(transport.subscriberCount).toBe(0);
    client.close();
  });

  it('keepWarmMs 0 closes the connection with the last stream', async () => {
    const { client, transport } = setup({ keepWarmMs: 0 });
    await client.stream(input).done;
    await sleep(5);
    expect(transport.subscriberCount).toBe(0);
    client.close();
  });

  it('connect() on a closed client is CLIENT_CLOSED', async () => {
    const { client } = setup();
    client.close();
    expect(() => client.connect()).toThrow(/closed/);
  });
});
