import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kind, type FieldNode, type SelectionSetNode } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  loadResolverCode,
  type DataSourceRegistry,
  type LoadedResolver,
} from '../runtime/index.js';
import type { AuthError } from './auth.js';
import { Authenticator, type AuthConfig, type Caller } from './auth.js';
import { prng } from '../../shared/prng.js';
import { matchesFilters } from './filters.js';
import {
  collectFields,
  formatErrors,
  fragmentsOf,
  prepare,
  project,
  rootFields,
  run,
  type AppSyncErrorEntry,
  type Engine,
  type Fragments,
  type RequestContext,
} from './graphql.js';
import { buildEmulatedSchema } from './schema.js';

/** The wiring the emulator runs (the shape of the resolvers package's ApiDefinition). */
export interface EmulatorApiDefinition {
  functions: Record<string, { dataSource: string; codeFile: string }>;
  resolvers: Array<{
    typeName: string;
    fieldName: string;
    kind: 'UNIT' | 'PIPELINE';
    dataSource?: string;
    functions?: string[];
    codeFile: string;
  }>;
}

/** Options of {@link startAppSyncEmulator}. */
export interface AppSyncEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** SDL files, concatenated (AWS built-ins first, then the API's schema). */
  schemaFiles?: string[];
  /** Or the SDL itself. */
  schemaSdl?: string;
  definition: EmulatorApiDefinition;
  dataSources: DataSourceRegistry;
  auth: AuthConfig;
  /** AppSync environment variables (`ctx.env`). */
  environmentVariables?: Record<string, string>;
  /** Interval of `ka` messages. Default 60 s. */
  keepAliveMs?: number;
  /** Sent in connection_ack. Default 300 000 (AppSync's). */
  connectionTimeoutMs?: number;
  /** Max HTTP body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Max subscriptions per connection. Default 100 (AppSync's default). */
  maxSubscriptionsPerConnection?: number;
  /** Max subscription message payload. Default 240 KB (AppSync's). */
  maxPayloadBytes?: number;
  /** One JSON line per request to this function (never secrets or variables). */
  log?: (line: Record<string, unknown>) => void;
}

/** Fault injection on subscription `data` messages. */
export interface SubscriptionFaults {
  dropRate?: number;
  duplicateRate?: number;
  reorderRate?: number;
  seed?: number;
}

/** Counters for tests and benchmarks. */
export interface EmulatorStats {
  mutations: Record<string, number>;
  queries: Record<string, number>;
  messagesSent: number;
  dataMessages: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  connections: number;
  subscriptions: number;
}

/** A running emulator. */
export interface AppSyncEmulator {
  graphqlUrl: string;
  realtimeUrl: string;
  port: number;
  setFaults(faults: SubscriptionFaults): void;
  closeAllConnections(): void;
  /**
   * Test hook: fans `value` out to the subscriptions `mutationField` triggers, as if that
   * mutation had returned it, bypassing its resolver (e.g. a payload a resolver would
   * refuse, to test that clients reject it).
   */
  injectMutationResult(mutationField: string, value: Record<string, unknown>): void;
  stats(): EmulatorStats;
  resetStats(): void;
  close(): Promise<void>;
}

interface Subscription {
  id: string;
  connection: Connection;
  fieldName: string;
  args: Record<string, unknown>;
  selection: SelectionSetNode | undefined;
  responseKey: string;
  fragments: Fragments;
  filters: unknown[];
  held: string | null;
}

interface Connection {
  socket: WebSocket;
  caller: Caller;
  subscriptions: Map<string, Subscription>;
  keepAlive: NodeJS.Timeout | null;
}

function decodeHeader(encoded: string): Record<string, string> | null {
  try {
    const value = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, string>)
      : null;
  } catch {
    return null;
  }
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k] = v;
  return out;
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text, or null when it is not valid UTF-8 (never silently U+FFFD). */
function utf8(body: Buffer): string | null {
  try {
    return strictUtf8.decode(body);
  } catch {
    return null;
  }
}

/** Re-keys a mutation result by field names (the subscriber's selection may alias differently). */
function unalias(
  value: unknown,
  selection: SelectionSetNode | undefined,
  fragments: Fragments,
): unknown {
  if (!selection || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => unalias(v, selection, fragments));
  const out: Record<string, unknown> = {};
  for (const field of collectFields(selection, fragments)) {
    out[field.name.value] = unalias(
      (value as Record<string, unknown>)[field.alias?.value ?? field.name.value],
      field.selectionSet,
      fragments,
    );
  }
  return out;
}

/**
 * Starts a local AppSync emulator: HTTP GraphQL at `/graphql`, AppSync's real-time
 * protocol at `/graphql/realtime`, APPSYNC_JS resolvers from `definition`, auth per
 * AppSync's modes and directives, `@aws_subscribe` fan-out with filters.
 */
export async function startAppSyncEmulator(
  options: AppSyncEmulatorOptions,
): Promise<AppSyncEmulator> {
  const sdl =
    options.schemaSdl ??
    (await Promise.all((options.schemaFiles ?? []).map((f) => readFile(f, 'utf8')))).join('\n');
  const schema = buildEmulatedSchema(sdl);
  const resolvers = new Map<string, LoadedResolver>();
  for (const r of options.definition.resolvers) {
    const functions = await Promise.all(
      (r.functions ?? []).map(async (name) => {
        const fn = options.definition.functions[name];
        if (!fn)
          throw new Error(`resolver ${r.typeName}.${r.fieldName} names unknown function '${name}'`);
        return { name, code: await loadResolverCode(fn.codeFile), dataSource: fn.dataSource };
      }),
    );
    resolvers.set(`${r.typeName}.${r.fieldName}`, {
      kind: r.kind,
      code: await loadResolverCode(r.codeFile),
      dataSource: r.dataSource,
      functions,
    });
  }
  const authenticator = new Authenticator(options.auth);
  const engine: Engine = {
    schema,
    resolvers,
    dataSources: options.dataSources,
    env: options.environmentVariables ?? {},
    defaultMode: options.auth.defaultMode,
  };
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const maxSubs = options.maxSubscriptionsPerConnection ?? 100;
  const maxPayload = options.maxPayloadBytes ?? 240 * 1024;
  const keepAliveMs = options.keepAliveMs ?? 60_000;
  const connectionTimeoutMs = options.connectionTimeoutMs ?? 300_000;
  const log = options.log ?? (() => {});
  const connections = new Set<Connection>();
  let faults: Required<SubscriptionFaults> = {
    dropRate: 0,
    duplicateRate: 0,
    reorderRate: 0,
    seed: 1,
  };
  let random = prng(1);
  const freshStats = (): EmulatorStats => ({
    mutations: {},
    queries: {},
    messagesSent: 0,
    dataMessages: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    connections: 0,
    subscriptions: 0,
  });
  let counters = freshStats();
  let graphqlUrl = '';

  const send = (connection: Connection, message: unknown) => {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    connection.socket.send(JSON.stringify(message));
    counters.messagesSent += 1;
  };

  const deliver = (sub: Subscription, text: string) => {
    const socket = sub.connection.socket;
    if (socket.readyState !== socket.OPEN) return;
    socket.send(text);
    counters.messagesSent += 1;
    counters.dataMessages += 1;
  };

  // Fan-out with optional faults: drop, duplicate, or hold one message back so it
  // arrives after the next one (reorder).
  const fanOut = (sub: Subscription, message: Record<string, unknown>) => {
    const text = JSON.stringify(message);
    if (Buffer.byteLength(text) > maxPayload) {
      send(sub.connection, {
        type: 'error',
        id: sub.id,
        payload: {
          errors: [
            {
              errorType: 'PayloadTooLargeError',
              message: `Subscription payload exceeds ${maxPayload} bytes and was not delivered.`,
            },
          ],
        },
      });
      return;
    }
    if (faults.dropRate && random() < faults.dropRate) {
      counters.dropped += 1;
      return;
    }
    if (faults.reorderRate && !sub.held && random() < faults.reorderRate) {
      counters.reordered += 1;
      sub.held = text;
      setTimeout(() => {
        if (sub.held === text) {
          sub.held = null;
          deliver(sub, text);
        }
      }, 200).unref();
      return;
    }
    deliver(sub, text);
    if (sub.held) {
      const held = sub.held;
      sub.held = null;
      deliver(sub, held);
    }
    if (faults.duplicateRate && random() < faults.duplicateRate) {
      counters.duplicated += 1;
      deliver(sub, text);
    }
  };

  const publish = (mutationField: FieldNode, value: unknown, mutationFragments: Fragments) => {
    const triggered = schema.subscriptionsFor(mutationField.name.value);
    if (!triggered.length || value === null || value === undefined) return;
    const response = unalias(value, mutationField.selectionSet, mutationFragments);
    const mutationFields = schema.schema.getMutationType()?.getFields() ?? {};
    const typeName =
      mutationFields[mutationField.name.value]?.type.toString().replace(/[![\]]/g, '') ?? '';
    for (const connection of connections) {
      for (const sub of connection.subscriptions.values()) {
        if (!triggered.includes(sub.fieldName)) continue;
        const argsMatch = Object.entries(sub.args).every(
          ([name, expected]) =>
            expected === null ||
            expected === undefined ||
            (response as Record<string, unknown>)?.[name] === expected,
        );
        if (!argsMatch || !matchesFilters(sub.filters, response)) continue;
        fanOut(sub, {
          id: sub.id,
          type: 'data',
          payload: {
            data: { [sub.responseKey]: project(response, sub.selection, typeName, sub.fragments) },
          },
        });
      }
    }
  };

  const handleGraphql = async (req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(body));
    };
    const started = Date.now();
    const bytes = await readBody(req, maxBody);
    if (bytes === null) {
      reply(413, {
        errors: [
          {
            errorType: 'PayloadTooLargeException',
            message: `Request body exceeds ${maxBody} bytes.`,
          },
        ],
      });
      req.resume();
      return;
    }
    // Bytes that are not UTF-8 would otherwise turn into U+FFFD and reach resolvers as text.
    const body = utf8(bytes);
    if (body === null) {
      reply(400, {
        errors: [
          {
            errorType: 'MalformedHttpRequestException',
            message: 'The request body is not valid UTF-8.',
          },
        ],
      });
      return;
    }
    let parsed: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
      if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
    } catch {
      reply(400, {
        errors: [
          {
            errorType: 'MalformedHttpRequestException',
            message: 'The request body is not valid JSON.',
          },
        ],
      });
      return;
    }
    const headers = headerRecord(req);
    let caller: Caller;
    try {
      caller = await authenticator.authenticate({ method: 'POST', url: graphqlUrl, headers, body });
    } catch (error) {
      const e = error as AuthError;
      reply(401, {
        errors: [{ errorType: e.errorType ?? 'UnauthorizedException', message: e.message }],
      });
      log({ kind: 'http', status: 401, errorType: e.errorType, ms: Date.now() - started });
      return;
    }
    const prepared = prepare(
      engine,
      parsed.query,
      typeof parsed.operationName === 'string' ? parsed.operationName : null,
    );
    if (!prepared.ok) {
      reply(400, { data: null, errors: prepared.errors });
      return;
    }
    const { operation } = prepared.value;
    if (operation.operation === 'subscription') {
      reply(400, {
        errors: [
          {
            errorType: 'ValidationError',
            message: 'Subscriptions are served on the real-time endpoint.',
          },
        ],
      });
      return;
    }
    if (
      parsed.variables !== undefined &&
      parsed.variables !== null &&
      typeof parsed.variables !== 'object'
    ) {
      reply(400, {
        errors: [
          { errorType: 'MalformedHttpRequestException', message: 'variables must be an object.' },
        ],
      });
      return;
    }
    const context: RequestContext = { caller, headers, domainName: null };
    const result = await run(
      engine,
      prepared.value,
      parsed.variables as Record<string, unknown>,
      context,
    );
    const fields = rootFields(operation);
    const bucket = operation.operation === 'mutation' ? counters.mutations : counters.queries;
    for (const f of fields) bucket[f.name.value] = (bucket[f.name.value] ?? 0) + 1;
    if (operation.operation === 'mutation' && result.data) {
      const fragments = fragmentsOf(prepared.value.document);
      for (const f of fields) publish(f, result.data[f.alias?.value ?? f.name.value], fragments);
    }
    const out: { data: unknown; errors?: AppSyncErrorEntry[] } = { data: result.data ?? null };
    if (result.errors?.length) out.errors = formatErrors(result.errors);
    reply(200, out);
    log({
      kind: 'http',
      op: operation.operation,
      fields: fields.map((f) => f.name.value),
      mode: caller.mode,
      errors: out.errors?.length ?? 0,
      ms: Date.now() - started,
    });
  };

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const reply = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/__local/stats') return reply(api.stats());
    if (path === '/__local/close-connections' && req.method === 'POST') {
      api.closeAllConnections();
      return reply({ ok: true });
    }
    if (path === '/__local/faults' && req.method === 'POST') {
      const body = (await readBody(req, 10_000))?.toString('utf8') ?? '{}';
      try {
        api.setFaults(JSON.parse(body) as SubscriptionFaults);
        return reply({ ok: true });
      } catch (error) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: (error as Error).message }));
        return;
      }
    }
    res.writeHead(404).end();
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    // AppSync answers browsers from any origin (CORS), including preflights.
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': String(
            req.headers['access-control-request-headers'] ?? '*',
          ),
          'access-control-max-age': '86400',
        })
        .end();
      return;
    }
    const handle =
      req.method === 'POST' && path === '/graphql'
        ? handleGraphql(req, res)
        : path.startsWith('/__local/')
          ? handleAdmin(req, res, path)
          : Promise.resolve(
              res
                .writeHead(path === '/' || path === '/graphql' ? 200 : 404, {
                  'content-type': 'application/json',
                })
                .end(
                  JSON.stringify({
                    service: 'appsync-local',
                    graphqlUrl,
                    realtimeUrl: `${graphqlUrl}/realtime`,
                  }),
                ),
            );
    handle.catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          errors: [{ errorType: 'InternalFailure', message: (error as Error).message }],
        }),
      );
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('graphql-ws') ? 'graphql-ws' : false),
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname !== '/graphql/realtime') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => void onConnection(ws, req, url));
  });

  const connectionError = (ws: WebSocket, errorType: string, message: string, errorCode = 401) => {
    ws.send(
      JSON.stringify({
        type: 'connection_error',
        payload: { errors: [{ errorType, message, errorCode }] },
      }),
    );
    ws.close(1000);
  };

  const onConnection = async (ws: WebSocket, req: IncomingMessage, url: URL) => {
    // Clients send connection_init as soon as the socket opens, while the handshake is
    // still being verified (SigV4/JWT are async): hold messages until it is.
    const early: Array<string | null> = [];
    let connection: Connection | null = null;
    const dispatch = (conn: Connection, text: string | null) =>
      void onMessage(conn, text).catch((error: unknown) =>
        send(conn, {
          type: 'error',
          payload: {
            errors: [{ errorType: 'InternalFailure', message: (error as Error).message }],
          },
        }),
      );
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      if (connection) dispatch(connection, text);
      else early.push(text);
    });
    ws.on('error', () => ws.terminate());
    // Both handshake forms: `header-<base64url>` subprotocol, or `?header=<base64>`.
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    const encoded =
      offered.find((p) => p.startsWith('header-'))?.slice('header-'.length) ??
      url.searchParams.get('header');
    const header = encoded ? decodeHeader(encoded) : null;
    if (!header) {
      connectionError(ws, 'UnauthorizedException', 'The connection request has no valid header.');
      return;
    }
    let caller: Caller;
    try {
      caller = await authenticator.authenticate({
        method: 'POST',
        url: `${graphqlUrl}/connect`,
        headers: header,
        body: '{}',
      });
    } catch (error) {
      log({ kind: 'ws', event: 'connection_error', errorType: (error as AuthError).errorType });
      connectionError(
        ws,
        (error as AuthError).errorType ?? 'UnauthorizedException',
        (error as Error).message,
      );
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    const conn: Connection = { socket: ws, caller, subscriptions: new Map(), keepAlive: null };
    connection = conn;
    connections.add(conn);
    counters.connections += 1;
    ws.on('close', () => {
      connections.delete(conn);
      if (conn.keepAlive) clearInterval(conn.keepAlive);
    });
    for (const text of early.splice(0)) dispatch(conn, text);
  };

  const startError = (
    connection: Connection,
    id: string | undefined,
    errors: AppSyncErrorEntry[] | Array<{ errorType: string; message: string }>,
  ) => send(connection, { type: 'error', id, payload: { errors } });

  const onMessage = async (connection: Connection, text: string | null) => {
    let message: { type?: unknown; id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text ?? '') as typeof message;
      if (!message || typeof message !== 'object') throw new Error('not an object');
    } catch {
      startError(connection, undefined, [
        { errorType: 'UnsupportedOperation', message: 'Messages must be JSON objects.' },
      ]);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    switch (message.type) {
      case 'connection_init':
        send(connection, { type: 'connection_ack', payload: { connectionTimeoutMs } });
        send(connection, { type: 'ka' });
        if (!connection.keepAlive)
          connection.keepAlive = setInterval(() => send(connection, { type: 'ka' }), keepAliveMs);
        return;
      case 'stop': {
        if (id) connection.subscriptions.delete(id);
        send(connection, { type: 'complete', id });
        return;
      }
      case 'start':
        await onStart(connection, id, message.payload);
        return;
      default:
        startError(connection, id, [
          {
            errorType: 'UnsupportedOperation',
            message: `${String(message.type)} not supported through the realtime channel`,
          },
        ]);
    }
  };

  const onStart = async (connection: Connection, id: string | undefined, rawPayload: unknown) => {
    if (!id)
      return startError(connection, id, [
        { errorType: 'ValidationError', message: 'start needs an id.' },
      ]);
    if (connection.subscriptions.size >= maxSubs) {
      return startError(connection, id, [
        {
          errorType: 'MaxSubscriptionsReachedError',
          message: `Max number of ${maxSubs} subscriptions reached`,
        },
      ]);
    }
    const payload = rawPayload as
      { data?: unknown; extensions?: { authorization?: Record<string, string> } } | undefined;
    if (typeof payload?.data !== 'string') {
      return startError(connection, id, [
        { errorType: 'ValidationError', message: 'start payload.data must be a JSON string.' },
      ]);
    }
    const authorization = payload.extensions?.authorization;
    if (!authorization || typeof authorization !== 'object') {
      return startError(connection, id, [
        {
          errorType: 'UnauthorizedException',
          message: 'start payload has no extensions.authorization.',
        },
      ]);
    }
    let caller: Caller;
    try {
      caller = await authenticator.authenticate({
        method: 'POST',
        url: graphqlUrl,
        headers: authorization,
        body: payload.data,
      });
    } catch (error) {
      return startError(connection, id, [
        {
          errorType: (error as AuthError).errorType ?? 'UnauthorizedException',
          message: (error as Error).message,
        },
      ]);
    }
    let request: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      request = JSON.parse(payload.data) as typeof request;
    } catch {
      return startError(connection, id, [
        { errorType: 'ValidationError', message: 'start payload.data is not valid JSON.' },
      ]);
    }
    const prepared = prepare(
      engine,
      request.query,
      typeof request.operationName === 'string' ? request.operationName : null,
    );
    if (!prepared.ok) return startError(connection, id, prepared.errors);
    const { operation } = prepared.value;
    const [field] = rootFields(operation);
    if (operation.operation !== 'subscription' || !field) {
      return startError(connection, id, [
        {
          errorType: 'ValidationError',
          message: 'Only subscriptions are served on the real-time endpoint.',
        },
      ]);
    }
    const context: RequestContext = { caller, headers: authorization, domainName: null };
    const result = await run(
      engine,
      prepared.value,
      request.variables as Record<string, unknown>,
      context,
    );
    if (result.errors?.length) return startError(connection, id, formatErrors(result.errors));
    const subscriptionType = schema.schema.getSubscriptionType()!;
    const args: Record<string, unknown> = {};
    const vars = (request.variables ?? {}) as Record<string, unknown>;
    for (const arg of field.arguments ?? []) {
      args[arg.name.value] =
        arg.value.kind === 'Variable'
          ? vars[arg.value.name.value]
          : 'value' in arg.value
            ? arg.value.value
            : undefined;
    }
    void subscriptionType;
    connection.subscriptions.set(id, {
      id,
      connection,
      fieldName: field.name.value,
      args,
      selection: field.selectionSet,
      responseKey: field.alias?.value ?? field.name.value,
      fragments: fragmentsOf(prepared.value.document),
      filters: context.resolverOutcome?.subscriptionFilters ?? [],
      held: null,
    });
    counters.subscriptions += 1;
    send(connection, { type: 'start_ack', id });
  };

  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const port = (server.address() as AddressInfo).port;
  graphqlUrl = `http://${options.host ?? '127.0.0.1'}:${port}/graphql`;

  const api: AppSyncEmulator = {
    graphqlUrl,
    realtimeUrl: `${graphqlUrl.replace(/^http/, 'ws')}/realtime`,
    port,
    setFaults(next) {
      for (const key of ['dropRate', 'duplicateRate', 'reorderRate'] as const) {
        const v = next[key];
        if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 1))
          throw new Error(`${key} must be a number from 0 to 1`);
      }
      faults = {
        dropRate: next.dropRate ?? 0,
        duplicateRate: next.duplicateRate ?? 0,
        reorderRate: next.reorderRate ?? 0,
        seed: next.seed ?? 1,
      };
      random = prng(faults.seed);
    },
    closeAllConnections() {
      for (const c of connections) c.socket.close(1001, 'closed by emulator');
    },
    injectMutationResult(mutationField, value) {
      publish({ kind: Kind.FIELD, name: { kind: Kind.NAME, value: mutationField } }, value, {});
    },
    stats: () => ({
      ...counters,
      mutations: { ...counters.mutations },
      queries: { ...counters.queries },
      connections: connections.size,
      subscriptions: [...connections].reduce((n, c) => n + c.subscriptions.size, 0),
    }),
    resetStats() {
      counters = freshStats();
    },
    async close() {
      for (const c of connections) {
        if (c.keepAlive) clearInterval(c.keepAlive);
        c.socket.terminate();
      }
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}
