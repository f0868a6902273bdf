/**
 * Retries, resume and the browser lifecycle over MemoryTransport (a boundary stub of AppSync
 * + the store, see memory-transport.ts) with queued faults: lost requests, lost answers,
 * refusals, throttling, 5xx. The page is a pair of EventTargets standing in for `window` and
 * `document` (the Chromium test in apps/web drives a real page). No timing is asserted:
 * tests wait for `done` or for the state they need and check what happened.
 */
import { describe, expect, it } from 'vitest';
import { createStreamClient } from '../src/client.js';
import type { LifecycleEnvironment } from '../src/lifecycle.js';
import type { StreamClientOptions } from '../src/options.js';
import type { StreamHandle } from '../src/stream-types.js';
import { attemptChunks } from './helpers.js';
import { MemoryTransport } from './memory-transport.js';

const input = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', prompt: 'Tell me' };
const texts = ['Once ', 'upon ', 'a ', 'time, ', 'the ', 'end.'];
const fast = { maxTries: 4, initialDelayMs: 1, maxDelayMs: 5 };

function setup(
  transport = new MemoryTransport(),
  overrides: Partial<StreamClientOptions> = {},
  lifecycleEnvironment: LifecycleEnvironment = {},
) {
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
      reconnect: fast,
      retry: { startStream: fast, cancelStream: fast, getStream: fast, streamChunks: fast },
      ...overrides,
    },
    { transport, lifecycleEnvironment },
  );
  return { client, transport };
}

/** The worker of the stub: publishes the whole answer once the stream is started. */
function answerOnStart(transport: MemoryTransport) {
  transport.onStart = ({ streamId }) => {
    for (const c of attemptChunks(1, texts, { streamId })) transport.publish(c);
  };
}

/** An AppSync-shaped refusal or throttle, as Apollo hands GraphQL errors on. */
const graphQLError = (errorType: string, message: string) =>
  Object.assign(new Error(message), { errors: [{ errorType, message }] });

/** A page: `window` with navigator.onLine and `document` with visibilityState. */
function fakePage() {
  const win = Object.assign(new EventTarget(), { navigator: { onLine: true } });
  const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  return {
    env: { window: win, document: doc } satisfies LifecycleEnvironment,
    goOffline() {
      win.navigator.onLine = false;
      win.dispatchEvent(new Event('offline'));
    },
    goOnline() {
      win.navigator.onLine = true;
      win.dispatchEvent(new Event('online'));
    },
    hide() {
      doc.visibilityState = 'hidden';
      doc.dispatchEvent(new Event('visibilitychange'));
    },
    show() {
      doc.visibilityState = 'visible';
      doc.dispatchEvent(new Event('visibilitychange'));
    },
  };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 2));
};
const count = (log: string[], entry: string) => log.filter((e) => e === entry).length;

describe('retries', () => {
  it('a lost startStream answer is retried: the stream it started is kept, the worker runs once', async () => {
    const { client, transport } = setup();
    // The worker takes a moment, so the answer cannot end the stream before the retries.
    transport.onStart = ({ streamId }) =>
      setTimeout(
        () => attemptChunks(1, texts, { streamId }).forEach((c) => transport.publish(c)),
        30,
      );
    transport.faults.startStream = ['response', 'response'];
    const result = await client.stream(input).done;
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
    expect(count(transport.log, 'startStream')).toBe(3);
    expect(transport.workerStarts).toBe(1);
    expect(result.metrics.retries).toBeGreaterThanOrEqual(2);
  });

  it('a lost startStream request is retried', async () => {
    const { client, transport } = setup();
    answerOnStart(transport);
    transport.faults.startStream = ['request'];
    const result = await client.stream(input).done;
    expect(result.text).toBe(texts.join(''));
    expect(transport.workerStarts).toBe(1);
  });

  it('a refused start is not retried: START_FAILED at once, not retryable', async () => {
    const { client, transport } = setup();
    transport.faults.startStream = [graphQLError('ValidationError', 'invalid startStream input')];
    const result = await client.stream(input).done;
    expect(result.error).toMatchObject({ code: 'START_FAILED', retryable: false });
    expect(result.error?.message).toMatch(/invalid startStream input/);
    expect(count(transport.log, 'startStream')).toBe(1);
  });

  it('a spent start budget is reported with what was tried (and only then)', async () => {
    const { client, transport } = setup();
    transport.faults.startStream = ['request', 'request', 'request', 'request'];
    const handle = client.stream(input);
    const fatal: string[] = [];
    handle.subscribe((u) => {
      if (u.type === 'error') fatal.push(`${u.fatal}:${u.error.code}`);
    });
    const result = await handle.done;
    expect(result.error).toMatchObject({ code: 'START_FAILED', retryable: true });
    expect(result.error?.message).toMatch(
      /startStream failed after 4 tries in [\d.]+ s \(network error ×4\); last: fetch failed/,
    );
    expect(fatal).toEqual(['true:START_FAILED']);
    // Before giving up it asked whether any of the starts had reached the server.
    expect(transport.log).toContain('getStream');
  });

  it('every start answer lost, yet the stream started: the record says so and it goes on', async () => {
    const { client, transport } = setup();
    answerOnStart(transport);
    transport.faults.startStream = ['response', 'response', 'response', 'response'];
    const result = await client.stream(input).done;
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
    expect(transport.workerStarts).toBe(1);
  });

  it('the first subscription is retried like a reconnect', async () => {
    const { client, transport } = setup();
    answerOnStart(transport);
    transport.failSubscriptions = 2;
    const result = await client.stream(input).done;
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
    expect(transport.log.slice(0, 6)).toEqual([
      'subscribe',
      'subscribe-dropped',
      'subscribe',
      'subscribe-dropped',
      'subscribe',
      'ack',
    ]);
    expect(result.metrics.retries).toBeGreaterThanOrEqual(2);
  });

  it('a spent subscribe budget is SUBSCRIBE_FAILED, saying what was tried', async () => {
    const { client, transport } = setup();
    transport.failSubscriptions = 10;
    const result = await client.stream(input).done;
    expect(result.error?.code).toBe('SUBSCRIBE_FAILED');
    expect(result.error?.message).toMatch(/after 4 tries in [\d.]+ s/);
    expect(transport.log).not.toContain('startStream');
  });

  it('lost, 5xx and throttled catch-up and getStream queries are retried, nothing reported', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const cs = attemptChunks(1, texts, { streamId });
      // Seq 2 and the end chunk are lost live: a gap fill and a stall check are needed.
      cs.forEach((c, i) => transport.publish(c, { deliver: i !== 2 && i !== cs.length - 1 }));
      transport.finishRecord(streamId, { status: 'COMPLETED', stopReason: 'end_turn' });
    };
    transport.faults.streamChunks = [
      'request',
      Object.assign(new Error('Response not successful: 503'), { statusCode: 503 }),
      graphQLError('DynamoDB:ProvisionedThroughputExceededException', 'slow down'),
    ];
    transport.faults.getStream = ['response', graphQLError('ThrottlingException', 'slow down')];
    const handle = client.stream(input);
    const errors: string[] = [];
    handle.subscribe((u) => {
      if (u.type === 'error') errors.push(u.error.code);
    });
    const result = await handle.done;
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
    expect(errors).toEqual([]);
    expect(result.metrics.retries).toBeGreaterThanOrEqual(3);
  });

  it('a finished record does not end the stream while stored chunks could not be read', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const cs = attemptChunks(1, texts, { streamId });
      cs.forEach((c, i) => transport.publish(c, { deliver: i === 0 }));
      transport.finishRecord(streamId, { status: 'COMPLETED', stopReason: 'end_turn' });
    };
    // The first check's catch-up spends its whole budget; the next one reads everything.
    transport.faults.streamChunks = ['request', 'request', 'request', 'request'];
    const handle = client.stream(input);
    const nonFatal: string[] = [];
    handle.subscribe((u) => {
      if (u.type === 'error' && !u.fatal) nonFatal.push(u.error.code);
    });
    const result = await handle.done;
    expect(nonFatal).toEqual(['QUERY_FAILED']);
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
  });

  it('client.getStream and client.cancel are retried too', async () => {
    const { client, transport } = setup();
    answerOnStart(transport);
    const { streamId } = await client.stream(input).done;
    transport.faults.getStream = ['request', 'response'];
    expect((await client.getStream(streamId))?.streamId).toBe(streamId);
    transport.faults.cancelStream = ['request'];
    expect((await client.cancel(streamId)).cancelRequested).toBe(true);
  });
});

describe('resume', () => {
  /** A stream whose first two chunks are out; `finish()` publishes the rest. */
  function halfway(transport: MemoryTransport) {
    let chunks: ReturnType<typeof attemptChunks> = [];
    transport.onStart = ({ streamId }) => {
      chunks = attemptChunks(1, texts, { streamId });
      transport.publish(chunks[0]!);
      transport.publish(chunks[1]!);
    };
    return {
      finish: () => chunks.slice(2).forEach((c) => transport.publish(c)),
      shown: texts.slice(0, 2).join(''),
    };
  }

  it('attaches to a running stream: stored chunks first, then live, ending as a client that never left', async () => {
    const transport = new MemoryTransport();
    const stayed = setup(transport).client;
    const reloaded = setup(transport).client;
    const worker = halfway(transport);
    const original = stayed.stream(input);
    await until(() => original.text === worker.shown);
    const resumed = reloaded.resume(original.streamId);
    await until(() => resumed.text === worker.shown);
    expect(resumed.status).toBe('streaming');
    worker.finish();
    const [a, b] = await Promise.all([original.done, resumed.done]);
    expect(b.status).toBe('done');
    expect({ ...b, metrics: null }).toEqual({ ...a, metrics: null });
    expect(b.metrics.worker).toEqual(a.metrics.worker);
    expect(transport.workerStarts).toBe(1);
    expect(count(transport.log, 'startStream')).toBe(1);
  });

  it('attaches to a finished stream: the same end, text, stop reason and usage', async () => {
    const { client, transport } = setup();
    answerOnStart(transport);
    const original = await client.stream(input).done;
    const resumed = await setup(transport).client.resume(original.streamId).done;
    expect({ ...resumed, metrics: null }).toEqual({ ...original, metrics: null });
    expect(count(transport.log, 'startStream')).toBe(1);
  });

  it('its updates are those of a stream followed from the start', async () => {
    const { client, transport } = setup();
    answerOnStart(transport);
    const original = client.stream(input);
    const kinds = async (h: StreamHandle) => {
      const seen: string[] = [];
      for await (const u of h) seen.push(u.type === 'status' ? `status:${u.status}` : u.type);
      return seen;
    };
    const first = await kinds(original);
    expect(await kinds(setup(transport).client.resume(original.streamId))).toEqual(first);
  });

  it('an unknown stream ends STREAM_NOT_FOUND; a malformed id is refused at once', async () => {
    const { client } = setup();
    const result = await client.resume('0b6b8c3e-4a8f-4e8e-9d6a-2f1c7c9b5a10').done;
    expect(result.error).toMatchObject({ code: 'STREAM_NOT_FOUND', retryable: false });
    expect(() => client.resume('not-a-stream')).toThrow(/UUID/);
  });

  it('resuming a stream this client follows returns the same handle', () => {
    const { client, transport } = setup();
    halfway(transport);
    const handle = client.stream(input);
    expect(client.resume(handle.streamId)).toBe(handle);
    handle.detach();
  });

  it('a resumed stream is retried like any other (lost reads, dropped subscription)', async () => {
    const transport = new MemoryTransport();
    const worker = halfway(transport);
    const original = setup(transport).client.stream(input);
    await until(() => original.text === worker.shown);
    transport.faults.getStream = ['request', 'response'];
    transport.faults.streamChunks = ['request'];
    transport.failSubscriptions = 1;
    const resumed = setup(transport).client.resume(original.streamId);
    await until(() => resumed.text === worker.shown);
    worker.finish();
    expect((await resumed.done).text).toBe(texts.join(''));
  });
});

describe('browser lifecycle', () => {
  it('offline: a dropped stream waits for the network without spending tries; online resubscribes and catches up', async () => {
    const page = fakePage();
    const transport = new MemoryTransport();
    // One try in all: any try spent while offline would end the stream.
    const { client } = setup(
      transport,
      { reconnect: { maxTries: 2, initialDelayMs: 1 } },
      page.env,
    );
    let chunks: ReturnType<typeof attemptChunks> = [];
    transport.onStart = ({ streamId }) => {
      chunks = attemptChunks(1, texts, { streamId });
      transport.publish(chunks[0]!);
    };
    const handle = client.stream(input);
    await until(() => handle.text === texts[0]);
    page.goOffline();
    transport.dropConnections();
    for (const c of chunks.slice(1)) transport.publish(c); // stored; no one listens
    await new Promise((r) => setTimeout(r, 50));
    expect(handle.status).toBe('streaming');
    const afterDrop = transport.log.slice(transport.log.lastIndexOf('drop') + 1);
    expect(afterDrop).not.toContain('subscribe');
    page.goOnline();
    const result = await handle.done;
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
    expect(transport.resets).toBe(1);
  });

  it('offline: operations wait for the network instead of failing', async () => {
    const page = fakePage();
    const transport = new MemoryTransport();
    answerOnStart(transport);
    const { client } = setup(transport, {}, page.env);
    page.goOffline();
    const handle = client.stream(input);
    await new Promise((r) => setTimeout(r, 50));
    expect(transport.log).not.toContain('subscribe');
    expect(handle.status).toBe('submitted');
    page.goOnline();
    expect((await handle.done).text).toBe(texts.join(''));
  });

  it('visible again: what was stored while hidden is read at once', async () => {
    const page = fakePage();
    const transport = new MemoryTransport();
    // Only the wake can find the missing chunks in time: the stall check is a minute away.
    const { client } = setup(transport, { stallTimeoutMs: 60_000 }, page.env);
    let chunks: ReturnType<typeof attemptChunks> = [];
    transport.onStart = ({ streamId }) => {
      chunks = attemptChunks(1, texts, { streamId });
      transport.publish(chunks[0]!);
    };
    const handle = client.stream(input);
    await until(() => handle.text === texts[0]);
    page.hide();
    // A hidden page's socket can die without a word: these never arrive live.
    for (const c of chunks.slice(1)) transport.publish(c, { deliver: false });
    transport.finishRecord(handle.streamId, { status: 'COMPLETED', stopReason: 'end_turn' });
    page.show();
    const result = await handle.done;
    expect(result.status).toBe('done');
    expect(result.text).toBe(texts.join(''));
  });

  it('a subscribe budget spent while hidden waits for the page to come back', async () => {
    const page = fakePage();
    const transport = new MemoryTransport();
    const { client } = setup(
      transport,
      { reconnect: { maxTries: 2, initialDelayMs: 1 } },
      page.env,
    );
    let chunks: ReturnType<typeof attemptChunks> = [];
    transport.onStart = ({ streamId }) => {
      chunks = attemptChunks(1, texts, { streamId });
      transport.publish(chunks[0]!);
    };
    const handle = client.stream(input);
    await until(() => handle.text === texts[0]);
    page.hide();
    transport.failSubscriptions = 100;
    transport.dropConnections();
    await until(() => count(transport.log, 'subscribe-dropped') >= 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(handle.status).toBe('streaming');
    transport.failSubscriptions = 0;
    for (const c of chunks.slice(1)) transport.publish(c);
    page.show();
    const result = await handle.done;
    expect(result.text).toBe(texts.join(''));
  });

  it('with browserLifecycle: false the page is ignored', async () => {
    const page = fakePage();
    const transport = new MemoryTransport();
    answerOnStart(transport);
    const { client } = setup(transport, { browserLifecycle: false }, page.env);
    page.goOffline();
    expect((await client.stream(input).done).text).toBe(texts.join(''));
  });
});
