/**
 * The AppSync emulator's own behaviour, on a small schema: GraphQL over HTTP (CORS, limits,
 * AppSync-shaped refusals), the admin routes, the real-time protocol (handshake, messages,
 * fan-out with arguments, filters and projection), fault injection and stats.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { schemaFiles } from '@org/bedrock-stream-contracts/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createNoneDataSource, startAppSyncEmulator, type AppSyncEmulator } from '../src/index.js';

const fixture = (name: string) => new URL(`./fixtures/appsync/${name}`, import.meta.url).pathname;
const apiKey = 'da2-emulator-test';
const MAX_PAYLOAD = 2048;
const MAX_BODY = 64 * 1024;
/** A self-signed test certificate for localhost and 127.0.0.1 (not a secret). */
const TLS_CERT = readFileSync(fixture('tls-cert.pem'), 'utf8');
const TLS_KEY = readFileSync(fixture('tls-key.pem'), 'utf8');

let emulator: AppSyncEmulator;
beforeAll(async () => {
  emulator = await startAppSyncEmulator({
    schemaSdl: [schemaFiles.awsBuiltins, fixture('schema.graphql')]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n'),
    definition: {
      functions: {},
      resolvers: [
        {
          typeName: 'Mutation',
          fieldName: 'send',
          kind: 'UNIT',
          dataSource: 'none',
          codeFile: fixture('echo.js'),
        },
        {
          typeName: 'Query',
          fieldName: 'ping',
          kind: 'UNIT',
          dataSource: 'none',
          codeFile: fixture('ping.js'),
        },
        {
          typeName: 'Subscription',
          fieldName: 'onBig',
          kind: 'UNIT',
          dataSource: 'none',
          codeFile: fixture('big-only.js'),
        },
      ],
    },
    dataSources: { none: createNoneDataSource() },
    auth: { defaultMode: 'API_KEY', apiKeys: [{ key: apiKey }] },
    keepAliveMs: 100,
    connectionTimeoutMs: 1234,
    maxBodyBytes: MAX_BODY,
    maxSubscriptionsPerConnection: 3,
    maxPayloadBytes: MAX_PAYLOAD,
    tls: { cert: TLS_CERT, key: TLS_KEY },
  });
});
afterAll(async () => {
  await emulator?.close();
});

type Message = Record<string, unknown> & { type?: string; id?: string; payload?: unknown };

interface Client {
  socket: WebSocket;
  messages: Message[];
  closed: Promise<number>;
  /** Resolves with the first message (already received or later) that `match` accepts. */
  next(match: (m: Message) => boolean, what?: string): Promise<Message>;
  send(message: unknown): void;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): Promise<Message>;
  data(id: string): unknown[];
}

const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.terminate();
  emulator.setFaults({});
  await waitFor(() => emulator.stats().connections === 0, 'connections to close');
});

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const authHeader = (key = apiKey) => ({
  host: new URL(emulator.graphqlUrl).host,
  'x-api-key': key,
});
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Opens a real-time socket; `header: null` sends none. Sends connection_init at once. */
function connect(
  options: {
    header?: Record<string, string> | null;
    legacy?: boolean;
    path?: string;
    tls?: boolean;
  } = {},
): Client {
  const header = options.header === undefined ? authHeader() : options.header;
  const realtimeUrl = options.tls ? emulator.tls!.realtimeUrl : emulator.realtimeUrl;
  const base = realtimeUrl.replace('/graphql/realtime', options.path ?? '/graphql/realtime');
  const url =
    options.legacy && header
      ? `${base}?header=${Buffer.from(JSON.stringify(header)).toString('base64')}&payload=e30=`
      : base;
  const protocols =
    options.legacy || !header ? ['graphql-ws'] : ['graphql-ws', `header-${b64url(header)}`];
  const socket = new WebSocket(url, protocols, options.tls ? { ca: TLS_CERT } : {});
  const messages: Message[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (raw) => {
    messages.push(JSON.parse(raw.toString()) as Message);
    for (const w of waiters.splice(0)) w();
  });
  socket.on('error', () => undefined);
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
  const closed = new Promise<number>((r) => socket.on('close', (code) => r(code)));
  const client: Client = {
    socket,
    messages,
    closed,
    next: (match, what = 'a message') =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5_000);
        const check = () => {
          const found = messages.find(match);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else waiters.push(check);
        };
        check();
      }),
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async subscribe(id, query, variables = {}) {
      await client.next((m) => m.type === 'connection_ack', 'connection_ack');
      const data = JSON.stringify({ query, variables });
      client.send({
        id,
        type: 'start',
        payload: { data, extensions: { authorization: authHeader() } },
      });
      return client.next(
        (m) => m.id === id && (m.type === 'start_ack' || m.type === 'error'),
        `start of ${id}`,
      );
    },
    data: (id) =>
      messages
        .filter((m) => m.id === id && m.type === 'data')
        .map((m) => (m.payload as { data: unknown }).data),
  };
  clients.push(client);
  return client;
}

async function post(body: string | Buffer, headers: Record<string, string> = authHeader()) {
  const res = await fetch(emulator.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Message };
}

const gql = (query: string, variables: Record<string, unknown> = {}) =>
  post(JSON.stringify({ query, variables }));

const SEND = `mutation Send($room: String!, $text: String!, $n: Int) {
  send(room: $room, text: $text, n: $n) { room text n }
}`;
const send = (room: string, text: string, n = 0) => gql(SEND, { room, text, n });
const ON_SEND = `subscription S($room: String) { onSend(room: $room) { room text n } }`;

describe('GraphQL over HTTP', () => {
  it('answers CORS preflights and marks every answer cross-origin', async () => {
    const preflight = await fetch(emulator.graphqlUrl, {
      method: 'OPTIONS',
      headers: { 'access-control-request-headers': 'x-api-key,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'x-api-key,content-type',
      'access-control-max-age': '86400',
    });
    const answer = await gql('{ ping }');
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('describes itself at / and /graphql, and answers 404 elsewhere', async () => {
    const origin = new URL(emulator.graphqlUrl).origin;
    const info = {
      service: 'appsync-local',
      graphqlUrl: emulator.graphqlUrl,
      realtimeUrl: `${emulator.graphqlUrl}/realtime`,
    };
    for (const [path, status] of [
      ['/', 200],
      ['/graphql', 200],
      ['/elsewhere', 404],
    ] as const) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status, path).toBe(status);
      expect(await res.json()).toEqual(info);
    }
  });

  it('runs queries and mutations (aliases included) and counts them by field', async () => {
    emulator.resetStats();
    expect((await gql('{ ping }')).json).toEqual({ data: { ping: 'pong' } });
    const sent = await gql(`mutation { said: send(room: "r", text: "hi") { room words: text } }`);
    expect(sent.json).toEqual({ data: { said: { room: 'r', words: 'hi' } } });
    expect(emulator.stats()).toMatchObject({ queries: { ping: 1 }, mutations: { send: 1 } });
  });

  it('refuses what AppSync refuses, with its error types', async () => {
    const cases: Array<[Promise<{ status: number; json: Message }>, number, string]> = [
      [post('x'.repeat(MAX_BODY + 1)), 413, 'PayloadTooLargeException'],
      [post(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, 'MalformedHttpRequestException'],
      [post('not json'), 400, 'MalformedHttpRequestException'],
      [post(JSON.stringify({ query: '{ ping }' }), {}), 401, 'UnauthorizedException'],
      [
        post(JSON.stringify({ query: '{ ping }' }), authHeader('wrong')),
        401,
        'UnauthorizedException',
      ],
      [gql('{ ping'), 400, 'MalformedHttpRequestException'],
      [gql('{ nope }'), 400, 'ValidationError'],
      [gql(ON_SEND), 400, 'ValidationError'],
      [
        post(JSON.stringify({ query: '{ ping }', variables: 5 })),
        400,
        'MalformedHttpRequestException',
      ],
    ];
    for (const [answer, status, errorType] of cases) {
      const { status: got, json } = await answer;
      expect({ got, errorType: (json['errors'] as Message[])[0]!['errorType'] }).toEqual({
        got: status,
        errorType,
      });
    }
  });
});

describe('admin routes', () => {
  const admin = (path: string, init?: RequestInit) =>
    fetch(`${new URL(emulator.graphqlUrl).origin}/__local/${path}`, init);

  it('serves stats, validates and sets faults, and 404s unknown routes', async () => {
    expect(await (await admin('stats')).json()).toEqual(emulator.stats());
    const bad = await admin('faults', { method: 'POST', body: JSON.stringify({ dropRate: 2 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'dropRate must be a number from 0 to 1' });
    expect((await admin('faults', { method: 'POST', body: '{' })).status).toBe(400);
    const ok = await admin('faults', { method: 'POST', body: JSON.stringify({ dropRate: 0 }) });
    expect(await ok.json()).toEqual({ ok: true });
    expect((await admin('nothing-here')).status).toBe(404);
  });

  it('closes every real-time connection on request (code 1001)', async () => {
    const client = connect();
    await client.next((m) => m.type === 'connection_ack');
    const res = await admin('close-connections', { method: 'POST' });
    expect(await res.json()).toEqual({ ok: true });
    expect(await client.closed).toBe(1001);
  });
});

describe('real-time handshake', () => {
  it('refuses upgrades off the real-time path', async () => {
    const client = connect({ path: '/elsewhere' });
    const code = await client.closed;
    expect(code).toBe(1006);
    expect(client.messages).toEqual([]);
  });

  it('answers a missing or wrong header with connection_error and closes', async () => {
    for (const [header, message] of [
      [null, 'The connection request has no valid header.'],
      [authHeader('wrong'), 'You are not authorized to make this call.'],
    ] as const) {
      const client = connect({ header });
      const error = await client.next((m) => m.type === 'connection_error');
      expect(error['payload']).toEqual({
        errors: [{ errorType: 'UnauthorizedException', message, errorCode: 401 }],
      });
      expect(await client.closed).toBe(1000);
    }
  });

  it('accepts both header forms and acknowledges connection_init sent before verification', async () => {
    for (const legacy of [false, true]) {
      const client = connect({ legacy });
      const ack = await client.next((m) => m.type === 'connection_ack');
      expect(ack['payload']).toEqual({ connectionTimeoutMs: 1234 });
      expect(client.socket.protocol).toBe('graphql-ws');
      // One ka right after the ack, then one per keepAliveMs.
      await waitFor(() => client.messages.filter((m) => m.type === 'ka').length >= 2, 'ka');
    }
  });
});

describe('real-time messages', () => {
  it('answers malformed and unsupported messages with errors', async () => {
    const client = connect();
    await client.next((m) => m.type === 'connection_ack');
    const errorFor = async (message: unknown, id?: string) => {
      const before = client.messages.length;
      client.send(message);
      const error = await client.next(
        (m) => client.messages.indexOf(m) >= before && m.type === 'error',
      );
      expect(error.id).toBe(id);
      return (error['payload'] as { errors: Message[] }).errors[0]!;
    };
    const data = JSON.stringify({ query: ON_SEND });
    const authorization = authHeader();
    expect(await errorFor('not json')).toEqual({
      errorType: 'UnsupportedOperation',
      message: 'Messages must be JSON objects.',
    });
    expect(await errorFor({ id: 'u', type: 'frobnicate' }, 'u')).toEqual({
      errorType: 'UnsupportedOperation',
      message: 'frobnicate not supported through the realtime channel',
    });
    expect(await errorFor({ type: 'start', payload: { data } })).toMatchObject({
      errorType: 'ValidationError',
      message: 'start needs an id.',
    });
    expect(await errorFor({ id: 'a', type: 'start', payload: { data: 5 } }, 'a')).toMatchObject({
      errorType: 'ValidationError',
    });
    expect(await errorFor({ id: 'b', type: 'start', payload: { data } }, 'b')).toMatchObject({
      errorType: 'UnauthorizedException',
    });
    const wrongKey = { authorization: authHeader('wrong') };
    expect(
      await errorFor({ id: 'c', type: 'start', payload: { data, extensions: wrongKey } }, 'c'),
    ).toMatchObject({ errorType: 'UnauthorizedException' });
    const start = (id: string, data: string) => ({
      id,
      type: 'start',
      payload: { data, extensions: { authorization } },
    });
    expect(await errorFor(start('d', '{'), 'd')).toEqual({
      errorType: 'ValidationError',
      message: 'start payload.data is not valid JSON.',
    });
    expect(await errorFor(start('e', JSON.stringify({ query: '{ ping }' })), 'e')).toEqual({
      errorType: 'ValidationError',
      message: 'Only subscriptions are served on the real-time endpoint.',
    });
    expect(
      await errorFor(start('f', JSON.stringify({ query: 'subscription { nope }' })), 'f'),
    ).toMatchObject({ errorType: 'ValidationError' });
  });

  it('delivers a mutation to the subscriptions it matches, projected onto each selection', async () => {
    const client = connect();
    const started = await Promise.all([
      client.subscribe('a', `subscription { mine: onSend(room: "a") { t: text room } }`),
      client.subscribe(
        'all',
        `subscription { onSend { ...M __typename } } fragment M on Message { room n }`,
      ),
      client.subscribe('big', `subscription { onBig { room text } }`),
    ]);
    expect(started.map((m) => m.type)).toEqual(['start_ack', 'start_ack', 'start_ack']);
    // The mutation selects no `n`: subscribers asking for it get null.
    await gql(`mutation { send(room: "a", text: "small", n: 1) { words: text room } }`);
    await send('b', 'large', 11);
    await waitFor(() => client.data('all').length === 2, 'both messages');
    expect(client.data('a')).toEqual([{ mine: { t: 'small', room: 'a' } }]);
    expect(client.data('all')).toEqual([
      { onSend: { room: 'a', n: null, __typename: 'Message' } },
      { onSend: { room: 'b', n: 11, __typename: 'Message' } },
    ]);
    expect(client.data('big')).toEqual([{ onBig: { room: 'b', text: 'large' } }]);
  });

  it('stops a subscription with complete, and caps subscriptions per connection', async () => {
    const client = connect();
    for (const id of ['s1', 's2', 'sentinel'])
      expect((await client.subscribe(id, ON_SEND, { room: 'stop' })).type).toBe('start_ack');
    const refused = await client.subscribe('s4', ON_SEND);
    expect(refused['payload']).toEqual({
      errors: [
        {
          errorType: 'MaxSubscriptionsReachedError',
          message: 'Max number of 3 subscriptions reached',
        },
      ],
    });
    client.send({ id: 's1', type: 'stop' });
    await client.next((m) => m.type === 'complete' && m.id === 's1');
    await send('stop', 'after stop');
    await waitFor(() => client.data('sentinel').length === 1, 'sentinel data');
    expect(client.data('s1')).toEqual([]);
    expect(client.data('s2')).toHaveLength(1);
  });

  it('refuses to deliver a payload over the limit, with an error for the subscription', async () => {
    const client = connect();
    await client.subscribe('p', ON_SEND, { room: 'big' });
    await send('big', 'x'.repeat(MAX_PAYLOAD));
    const error = await client.next((m) => m.type === 'error' && m.id === 'p');
    expect(error['payload']).toEqual({
      errors: [
        {
          errorType: 'PayloadTooLargeError',
          message: `Subscription payload exceeds ${MAX_PAYLOAD} bytes and was not delivered.`,
        },
      ],
    });
    expect(client.data('p')).toEqual([]);
  });

  it('fans out an injected mutation result, and counts connections, subscriptions and messages', async () => {
    emulator.resetStats();
    const client = connect();
    await client.subscribe('i', ON_SEND, { room: 'inj' });
    emulator.injectMutationResult('send', { room: 'inj', text: 'injected', n: 3 });
    await waitFor(() => client.data('i').length === 1, 'injected data');
    expect(client.data('i')).toEqual([{ onSend: { room: 'inj', text: 'injected', n: 3 } }]);
    expect(emulator.stats()).toMatchObject({
      connections: 1,
      subscriptions: 1,
      dataMessages: 1,
      messagesSent: client.messages.length,
      mutations: {},
    });
  });
});

describe('fault injection', () => {
  async function subscriber(room: string) {
    const client = connect();
    await client.subscribe('f', ON_SEND, { room });
    const ns = () => client.data('f').map((d) => (d as { onSend: { n: number } }).onSend.n);
    /** Sends a last message without faults, so everything before it has arrived. */
    const settle = async () => {
      emulator.setFaults({});
      await send(room, 'sentinel', -1);
      await waitFor(() => ns().includes(-1), 'sentinel');
      return ns().filter((n) => n !== -1);
    };
    return { client, ns, settle };
  }

  it('validates fault rates', () => {
    expect(() => emulator.setFaults({ dropRate: 1.5 })).toThrow(
      'dropRate must be a number from 0 to 1',
    );
    expect(() => emulator.setFaults({ reorderRate: -1 })).toThrow(/reorderRate/);
  });

  it('drops and duplicates data messages', async () => {
    emulator.resetStats();
    const sub = await subscriber('dup');
    emulator.setFaults({ dropRate: 1 });
    await send('dup', 'lost', 1);
    emulator.setFaults({ duplicateRate: 1 });
    await send('dup', 'twice', 2);
    expect(await sub.settle()).toEqual([2, 2]);
    expect(emulator.stats()).toMatchObject({ dropped: 1, duplicated: 1 });
  });

  it('holds a message back so it arrives after the next one', async () => {
    emulator.resetStats();
    const sub = await subscriber('order');
    emulator.setFaults({ reorderRate: 1 });
    for (const n of [1, 2, 3]) await send('order', 'm', n);
    // 1 is held until 2 goes out; 3 is held, then released by its timer.
    await waitFor(() => sub.ns().length === 3, 'three messages');
    expect(sub.ns()).toEqual([2, 1, 3]);
    expect(emulator.stats().reordered).toBe(2);
  });

  it('draws the same faults again for the same seed', async () => {
    const run = async (room: string) => {
      const sub = await subscriber(room);
      emulator.setFaults({ dropRate: 0.5, seed: 7 });
      for (let n = 0; n < 20; n++) await send(room, 'm', n);
      const got = await sub.settle();
      sub.client.socket.terminate();
      await waitFor(() => emulator.stats().connections === 0, 'close');
      return got;
    };
    const first = await run('seed-1');
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(20);
    expect(await run('seed-2')).toEqual(first);
  });
});

describe('over TLS', () => {
  /** POSTs to the HTTPS listener, trusting only the test certificate. */
  function postTls(path: string, body: string | null): Promise<{ status: number; json: Message }> {
    const url = new URL(path, emulator.tls!.graphqlUrl);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: body === null ? 'GET' : 'POST',
          ca: TLS_CERT,
          headers: { 'content-type': 'application/json', ...authHeader() },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode!, json: JSON.parse(text) as Message }),
          );
        },
      );
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  }

  it('serves the same API over HTTPS and WSS on its own port', async () => {
    const tls = emulator.tls!;
    expect(tls.port).not.toBe(emulator.port);
    expect(tls.graphqlUrl).toBe(`https://127.0.0.1:${tls.port}/graphql`);
    expect(tls.realtimeUrl).toBe(`wss://127.0.0.1:${tls.port}/graphql/realtime`);
    expect((await postTls('/', null)).json).toEqual({
      service: 'appsync-local',
      graphqlUrl: tls.graphqlUrl,
      realtimeUrl: `${tls.graphqlUrl}/realtime`,
    });
    const client = connect({ tls: true });
    expect((await client.subscribe('t', ON_SEND, { room: 'tls' })).type).toBe('start_ack');
    const sent = await postTls(
      '/graphql',
      JSON.stringify({ query: SEND, variables: { room: 'tls', text: 'secure', n: 1 } }),
    );
    expect(sent).toEqual({
      status: 200,
      json: { data: { send: { room: 'tls', text: 'secure', n: 1 } } },
    });
    await waitFor(() => client.data('t').length === 1, 'data over wss');
    expect(client.data('t')).toEqual([{ onSend: { room: 'tls', text: 'secure', n: 1 } }]);
  });

  it('rejects when its TLS port is taken, instead of crashing', async () => {
    await expect(
      startAppSyncEmulator({
        schemaSdl: 'type Query { a: String }',
        definition: { functions: {}, resolvers: [] },
        dataSources: {},
        auth: { defaultMode: 'API_KEY', apiKeys: [{ key: apiKey }] },
        tls: { cert: TLS_CERT, key: TLS_KEY, port: emulator.tls!.port },
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
