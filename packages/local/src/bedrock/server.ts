import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createHttp2Server, type Http2Session } from 'node:http2';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import {
  deterministicBackend,
  openAiProxyBackend,
  sleep,
  type DeterministicTiming,
  type Generation,
  type GenerationResult,
  type ModelBackend,
  type OpenAiProxyOptions,
} from './backend.js';
import {
  BedrockHttpError,
  toRequestErrorName,
  writeHttpError,
  type StreamErrorName,
} from './errors.js';
import { asRequest, asResponse, dropConnection, type Req, type Res } from './http.js';
import { FaultState, type BedrockServerFaults, type FaultPlan } from './faults.js';
import { estimateInputTokens, rawPromptText, type ChatRequest } from './model.js';
import { parseConverseBody, parseNativeBody, type NativeDialect } from './requests.js';
import { verifySigV4, type SigV4Credential } from './sigv4.js';

/** The four Bedrock Runtime operations this endpoint serves. */
export type BedrockOperation =
  'Converse' | 'ConverseStream' | 'InvokeModel' | 'InvokeModelWithResponseStream';

/** Model ids accepted by default (real Bedrock ids plus the local echo model). */
export const DEFAULT_MODEL_IDS: readonly string[] = [
  'anthropic.claude-3-haiku-20240307-v1:0',
  'anthropic.claude-3-5-sonnet-20240620-v1:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'amazon.nova-lite-v1:0',
  'amazon.nova-micro-v1:0',
  'local.echo-v1',
];

/** Options of {@link startBedrockServer}. */
export interface BedrockServerOptions extends DeterministicTiming {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Bind address; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Accepted model ids (default {@link DEFAULT_MODEL_IDS}); others get ValidationException. */
  modelIds?: readonly string[];
  /** Known model ids the caller has no access to: AccessDeniedException, as for an un-granted model. */
  deniedModelIds?: readonly string[];
  /** Input token estimate above which requests get "Input is too long" (default 200 000). */
  maxInputTokens?: number;
  /** Largest accepted request body (default 20 MiB). */
  maxBodyBytes?: number;
  /** Server-wide faults (see {@link BedrockServerFaults}). */
  faults?: BedrockServerFaults;
  /** Relay to an OpenAI-compatible server instead of the deterministic model. */
  proxy?: OpenAiProxyOptions;
  /** Any custom backend (takes precedence over `proxy`). */
  backend?: ModelBackend;
  /**
   * Verify SigV4 signatures against these credentials (default: accept any). Failures answer 403
   * `MissingAuthenticationTokenException` / `UnrecognizedClientException` / `InvalidSignatureException`.
   */
  verifySigV4?: { credentials: readonly SigV4Credential[] };
  /** Receives one line per finished request (the CLI prints them). */
  log?: (line: string) => void;
}

/** How a request ended. */
export type RequestOutcome =
  'completed' | 'error' | 'stream-error' | 'aborted' | 'dropped' | 'in-progress';

/** One request as seen by the server. */
export interface BedrockRequestRecord {
  requestId: string;
  operation: BedrockOperation | 'unknown';
  modelId: string;
  /** The raw prompt text (system + messages, markers kept), cut to 200 characters. */
  prompt: string;
  status: number;
  outcome: RequestOutcome;
  /** Error or exception name, when outcome is `error` / `stream-error`. */
  error?: string;
  outputTokens: number;
  stopReason?: string;
  faults: string[];
  startedAt: number;
  durationMs?: number;
  /**
   * When the first and the last output token were written (epoch ms, sub-ms precision),
   * so a benchmark can tell the model's pacing from the delay added after it.
   */
  firstTokenAt?: number;
  lastTokenAt?: number;
}

/** Counts one output token of `rec` and stamps when it was written. */
function countToken(rec: BedrockRequestRecord): void {
  const now = performance.timeOrigin + performance.now();
  rec.firstTokenAt ??= now;
  rec.lastTokenAt = now;
  rec.outputTokens++;
}

/** Counters of {@link BedrockServer.stats}. */
export interface BedrockStats {
  requests: number;
  active: number;
  completed: number;
  /** Request-level error responses (4xx/5xx). */
  errors: number;
  /** Streams ended by an in-stream exception. */
  streamErrors: number;
  /** Requests whose client closed the connection before the response finished. */
  aborted: number;
  /** Connections the server destroyed on purpose (drop fault). */
  dropped: number;
  faultsInjected: number;
  byOperation: Record<BedrockOperation, number>;
  /** The most recent requests (up to 500), oldest first. */
  recent: BedrockRequestRecord[];
  /** `[[fault:...]]` markers that did not parse. */
  ignoredMarkers: string[];
}

/** A running endpoint. */
export interface BedrockServer {
  /** Base URL for the SDK's `endpoint` option, e.g. `http://127.0.0.1:43121`. */
  url: string;
  port: number;
  /** Snapshot of the counters. */
  stats(): BedrockStats;
  /** Replaces the server-wide faults and restarts their counters. */
  setFaults(faults: BedrockServerFaults): void;
  /** Changes the deterministic model's pace/length for later requests. */
  setTiming(timing: DeterministicTiming): void;
  /** Forgets `times=N` counters of prompt markers. */
  resetPromptFaultCounters(): void;
  /** Aborts running generations, closes connections and the listener. */
  close(): Promise<void>;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

// Real Bedrock pads each event with a "p" field so sizes do not leak content; SDKs ignore it.
const PAD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
let padCounter = 0;
function pad(): string {
  padCounter = (padCounter + 7) % PAD.length;
  return PAD.slice(0, padCounter + 1);
}

const ROUTE =
  /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)\/?$/;
const OPERATIONS: Record<string, BedrockOperation> = {
  converse: 'Converse',
  'converse-stream': 'ConverseStream',
  invoke: 'InvokeModel',
  'invoke-with-response-stream': 'InvokeModelWithResponseStream',
};

function resolveModelId(raw: string, allowed: ReadonlySet<string>): string | undefined {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  // Foundation-model ARNs and cross-region inference profile ids name the same model.
  const tail = id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id;
  const candidates = [id, tail, tail.replace(/^(us|eu|apac|global|us-gov|jp|au|ca)\./, '')];
  return candidates.find((c) => allowed.has(c));
}

async function readBody(req: Req, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new BedrockHttpError('ValidationException', 'Input is too long for requested model.');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Writes `application/vnd.amazon.eventstream` frames with backpressure. */
class FrameWriter {
  constructor(
    private readonly res: Res,
    private readonly signal: AbortSignal,
  ) {}

  private async write(frame: Uint8Array): Promise<void> {
    if (this.signal.aborted || this.res.destroyed) return;
    if (!this.res.write(frame)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.res.off('drain', done);
          this.res.off('close', done);
          resolve();
        };
        this.res.on('drain', done);
        this.res.on('close', done);
      });
    }
  }

  event(type: string, payload: Record<string, unknown>): Promise<void> {
    return this.write(
      codec.encode({
        headers: {
          ':event-type': { type: 'string', value: type },
          ':content-type': { type: 'string', value: 'application/json' },
          ':message-type': { type: 'string', value: 'event' },
        },
        body: fromUtf8(JSON.stringify({ ...payload, p: pad() })),
      }),
    );
  }

  exception(type: StreamErrorName, message: string): Promise<void> {
    const body: Record<string, unknown> = { message };
    if (type === 'modelStreamErrorException') {
      body.originalStatusCode = 500;
      body.originalMessage = message;
    }
    return this.write(
      codec.encode({
        headers: {
          ':exception-type': { type: 'string', value: type },
          ':content-type': { type: 'string', value: 'application/json' },
          ':message-type': { type: 'string', value: 'exception' },
        },
        body: fromUtf8(JSON.stringify(body)),
      }),
    );
  }
}

type RunEnd =
  | { kind: 'done'; result: GenerationResult }
  | { kind: 'midStream'; error: StreamErrorName; sent: number }
  | { kind: 'drop'; sent: number }
  | { kind: 'aborted'; sent: number };

const STREAM_ERROR_MESSAGES: Record<StreamErrorName, string> = {
  internalServerException: 'The server encountered an internal error.',
  modelStreamErrorException: 'The model stream encountered an error (injected fault).',
  validationException: 'The request is invalid.',
  throttlingException: 'Too many tokens, please wait before trying again.',
  serviceUnavailableException: 'Bedrock is unable to process your request.',
  modelTimeoutException: 'Model has timed out in processing the request.',
};

/** Drives a generation through the fault plan, calling `onToken` for every delta sent. */
async function runGeneration(
  gen: Generation,
  plan: FaultPlan,
  signal: AbortSignal,
  onToken: (text: string, index: number) => Promise<void>,
): Promise<RunEnd> {
  const end = await driveGeneration(gen, plan, signal, onToken);
  // Stop the backend whenever we stop reading early (fault, abort), e.g. to close a proxied request.
  if (end.kind !== 'done') await gen.deltas.return(undefined as never).catch(() => undefined);
  return end;
}

async function driveGeneration(
  gen: Generation,
  plan: FaultPlan,
  signal: AbortSignal,
  onToken: (text: string, index: number) => Promise<void>,
): Promise<RunEnd> {
  let sent = 0;
  let stalled = false;
  let finished: GenerationResult | undefined;
  for (;;) {
    if (signal.aborted) break;
    if (plan.drop && sent >= plan.drop.afterTokens) return { kind: 'drop', sent };
    if (plan.midStream && sent >= plan.midStream.afterTokens) {
      return { kind: 'midStream', error: plan.midStream.error, sent };
    }
    if (plan.stall && !stalled && sent >= plan.stall.afterTokens) {
      stalled = true;
      if (plan.stall.ms === undefined) {
        // Stall until the client (or server close) gives up.
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          else signal.addEventListener('abort', () => resolve(), { once: true });
        });
      } else {
        await sleep(plan.stall.ms, signal);
      }
      continue;
    }
    if (finished) return { kind: 'done', result: finished };
    const next = await gen.deltas.next();
    if (signal.aborted) break;
    if (next.done) {
      finished = next.value;
      // Loop once more so faults configured beyond the answer's length still fire at its end.
      continue;
    }
    await onToken(next.value, sent);
    sent++;
  }
  return { kind: 'aborted', sent };
}

/** Starts the Bedrock-compatible endpoint (see the package README for the wire behaviour). */
export async function startBedrockServer(
  options: BedrockServerOptions = {},
): Promise<BedrockServer> {
  const host = options.host ?? '127.0.0.1';
  const allowed = new Set(options.modelIds ?? DEFAULT_MODEL_IDS);
  const denied = new Set(options.deniedModelIds ?? []);
  const maxInputTokens = options.maxInputTokens ?? 200_000;
  const maxBodyBytes = options.maxBodyBytes ?? 20 * 1024 * 1024;
  let timing: DeterministicTiming = {
    timeToFirstTokenMs: options.timeToFirstTokenMs,
    tokensPerSecond: options.tokensPerSecond,
    outputTokens: options.outputTokens,
  };
  const backend: ModelBackend =
    options.backend ??
    (options.proxy ? openAiProxyBackend(options.proxy) : deterministicBackend(() => timing));
  const faults = new FaultState(options.faults);
  const active = new Map<string, AbortController>();
  const recent: BedrockRequestRecord[] = [];
  const counters = {
    requests: 0,
    completed: 0,
    errors: 0,
    streamErrors: 0,
    aborted: 0,
    dropped: 0,
    faultsInjected: 0,
  };
  const byOperation: Record<BedrockOperation, number> = {
    Converse: 0,
    ConverseStream: 0,
    InvokeModel: 0,
    InvokeModelWithResponseStream: 0,
  };

  function finish(rec: BedrockRequestRecord, outcome: RequestOutcome): void {
    if (rec.outcome !== 'in-progress') return;
    rec.outcome = outcome;
    rec.durationMs = Date.now() - rec.startedAt;
    if (outcome === 'completed') counters.completed++;
    else if (outcome === 'error') counters.errors++;
    else if (outcome === 'stream-error') counters.streamErrors++;
    else if (outcome === 'aborted') counters.aborted++;
    else if (outcome === 'dropped') counters.dropped++;
    options.log?.(
      [
        new Date().toISOString(),
        rec.requestId.slice(0, 8),
        rec.operation,
        rec.modelId || '-',
        rec.status,
        outcome + (rec.error ? `:${rec.error}` : ''),
        `out=${rec.outputTokens}`,
        rec.stopReason ? `stop=${rec.stopReason}` : '',
        `${rec.durationMs}ms`,
        rec.faults.length ? `faults=${rec.faults.join(',')}` : '',
      ]
        .filter((s) => s !== '')
        .join(' '),
    );
  }

  async function handle(req: Req, res: Res): Promise<void> {
    const requestId = randomUUID();
    const controller = new AbortController();
    const signal = controller.signal;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = ROUTE.exec(url.pathname);
    const operation = match ? (OPERATIONS[match[2] ?? ''] ?? 'unknown') : 'unknown';
    const rec: BedrockRequestRecord = {
      requestId,
      operation,
      modelId: '',
      prompt: '',
      status: 200,
      outcome: 'in-progress',
      outputTokens: 0,
      faults: [],
      startedAt: Date.now(),
    };
    counters.requests++;
    if (operation !== 'unknown') byOperation[operation]++;
    recent.push(rec);
    if (recent.length > 500) recent.shift();
    active.set(requestId, controller);
    // 'close' before the response ended means the client went away: stop generating.
    res.on('close', () => {
      active.delete(requestId);
      if (!res.writableEnded) {
        controller.abort();
        finish(rec, 'aborted');
      }
    });

    const fail = (err: BedrockHttpError): void => {
      rec.status = err.status;
      rec.error = err.name;
      writeHttpError(res, err, requestId);
      finish(rec, 'error');
    };

    try {
      if (!match || req.method !== 'POST' || operation === 'unknown') {
        // Drain the body so keep-alive connections stay usable.
        req.resume();
        rec.status = 404;
        rec.error = 'UnknownOperationException';
        res.writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': 'UnknownOperationException',
        });
        res.end(JSON.stringify({ message: 'Unknown operation' }));
        finish(rec, 'error');
        return;
      }
      const body = await readBody(req, maxBodyBytes);
      if (options.verifySigV4) {
        const failure = await verifySigV4(
          { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body },
          options.verifySigV4.credentials,
        );
        if (failure) {
          rec.status = 403;
          rec.error = failure.errorType;
          const payload = JSON.stringify({ message: failure.message });
          res.writeHead(403, {
            'content-type': 'application/json',
            'x-amzn-requestid': requestId,
            'x-amzn-errortype': failure.errorType,
          });
          res.end(payload);
          finish(rec, 'error');
          return;
        }
      }
      const modelId = resolveModelId(match[1] ?? '', allowed);
      rec.modelId = modelId ?? decodeURIComponentSafe(match[1] ?? '');
      if (modelId === undefined) {
        throw new BedrockHttpError(
          'ValidationException',
          'The provided model identifier is invalid.',
        );
      }
      if (denied.has(modelId)) throw new BedrockHttpError('AccessDeniedException');
      let chat: ChatRequest;
      let dialect: NativeDialect = 'anthropic';
      if (operation === 'Converse' || operation === 'ConverseStream')
        chat = parseConverseBody(body);
      else ({ chat, dialect } = parseNativeBody(body, modelId));
      if (estimateInputTokens(chat) > maxInputTokens) {
        throw new BedrockHttpError('ValidationException', 'Input is too long for requested model.');
      }
      const raw = rawPromptText(chat);
      rec.prompt = raw.slice(0, 200);
      const plan = faults.plan(raw);
      rec.faults = plan.labels;
      if (plan.labels.length > 0) counters.faultsInjected++;
      if (plan.reject) throw new BedrockHttpError(plan.reject.error);
      if (plan.drop?.afterTokens === 0) {
        finish(rec, 'dropped');
        await dropConnection(res);
        return;
      }
      const gen = await backend.generate(chat, { modelId, signal });
      const ctx: OpContext = { res, signal, requestId, modelId, chat, gen, plan, rec, dialect };
      let end: RunEnd;
      if (operation === 'ConverseStream') end = await converseStream(ctx);
      else if (operation === 'InvokeModelWithResponseStream') end = await invokeStream(ctx);
      else end = await nonStreaming(ctx, operation);
      if (end.kind === 'drop') {
        finish(rec, 'dropped');
        await dropConnection(res);
      } else if (end.kind === 'midStream') {
        rec.error ??= end.error;
        const streaming =
          operation === 'ConverseStream' || operation === 'InvokeModelWithResponseStream';
        finish(rec, streaming ? 'stream-error' : 'error');
      } else if (end.kind === 'done') {
        rec.stopReason = end.result.stopReason;
        finish(rec, 'completed');
      }
    } catch (err) {
      if (err instanceof BedrockHttpError) fail(err);
      else if (signal.aborted) finish(rec, 'aborted');
      else {
        fail(new BedrockHttpError('InternalServerException', (err as Error).message));
      }
    } finally {
      // Whatever happened, nothing may keep generating for this request (upstream fetches included).
      controller.abort();
      active.delete(requestId);
    }
  }

  // The SDK's Node runtime speaks HTTP/2 (h2c with prior knowledge on http:// endpoints), while
  // curl/fetch speak HTTP/1.1, so one TCP listener sniffs the connection preface and hands each
  // socket to the matching server.
  const h1 = createServer((req, res) => void handle(asRequest(req), asResponse(res)));
  const rawSockets = new WeakMap<Http2Session, Socket>();
  let connecting: Socket | undefined;
  const h2 = createHttp2Server(
    (req, res) =>
      void handle(
        asRequest(req),
        asResponse(res, (s) => rawSockets.get(s)),
      ),
  );
  const sessions = new Set<Http2Session>();
  h2.on('session', (session) => {
    // Emitted synchronously from emit('connection'), so `connecting` is this session's socket.
    if (connecting) rawSockets.set(session, connecting);
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) return;
      socket.off('data', onData);
      socket.pause();
      if (head.toString('latin1', 0, 3) === 'PRI') {
        // nghttp2 reads the native handle directly, so unshifted bytes would be lost: hand it a
        // Duplex that replays the sniffed bytes and then relays the socket.
        connecting = socket;
        h2.emit('connection', replaySocket(socket, head));
        connecting = undefined;
      } else {
        socket.unshift(head);
        h1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: () => ({
      ...counters,
      active: active.size,
      byOperation: { ...byOperation },
      recent: recent.map((r) => ({ ...r, faults: [...r.faults] })),
      ignoredMarkers: [...faults.ignoredMarkers],
    }),
    setFaults: (f) => faults.set(f),
    setTiming: (t) => {
      timing = { ...timing, ...t };
    },
    resetPromptFaultCounters: () => faults.resetPromptCounters(),
    close: async () => {
      for (const c of active.values()) c.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      h1.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** A Duplex over `socket` whose readable side starts with the already-consumed `head`. */
function replaySocket(socket: Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  duplex.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface OpContext {
  res: Res;
  signal: AbortSignal;
  requestId: string;
  modelId: string;
  chat: ChatRequest;
  gen: Generation;
  plan: FaultPlan;
  rec: BedrockRequestRecord;
  /** Native body dialect for InvokeModel*; Converse ignores it. */
  dialect: NativeDialect;
}

function streamHeaders(ctx: OpContext, extra: Record<string, string> = {}): void {
  ctx.res.writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': ctx.requestId,
    ...extra,
  });
  // Send the headers now: the SDK resolves the command when they arrive, before any token.
  ctx.res.flushHeaders();
}

async function converseStream(ctx: OpContext): Promise<RunEnd> {
  const started = ctx.rec.startedAt;
  const w = new FrameWriter(ctx.res, ctx.signal);
  streamHeaders(ctx);
  await w.event('messageStart', { role: 'assistant' });
  const end = await runGeneration(ctx.gen, ctx.plan, ctx.signal, async (text) => {
    countToken(ctx.rec);
    await w.event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } });
  });
  if (end.kind === 'midStream') {
    await w.exception(end.error, STREAM_ERROR_MESSAGES[end.error]);
    ctx.res.end();
  } else if (end.kind === 'done') {
    const r = end.result;
    await w.event('contentBlockStop', { contentBlockIndex: 0 });
    await w.event('messageStop', { stopReason: r.stopReason });
    await w.event('metadata', {
      usage: {
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        totalTokens: r.inputTokens + r.outputTokens,
      },
      metrics: { latencyMs: Date.now() - started },
    });
    ctx.res.end();
  }
  return end;
}

function messageId(requestId: string): string {
  return `msg_bdrk_${requestId.replace(/-/g, '').slice(0, 24)}`;
}

async function invokeStream(ctx: OpContext): Promise<RunEnd> {
  if (ctx.dialect === 'nova') return novaInvokeStream(ctx);
  const started = ctx.rec.startedAt;
  let firstByte: number | undefined;
  const w = new FrameWriter(ctx.res, ctx.signal);
  const chunk = (event: Record<string, unknown>): Promise<void> =>
    w.event('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') });
  streamHeaders(ctx, { 'x-amzn-bedrock-content-type': 'application/json' });
  await chunk({
    type: 'message_start',
    message: {
      id: messageId(ctx.requestId),
      type: 'message',
      role: 'assistant',
      model: ctx.modelId,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: ctx.gen.inputTokens, output_tokens: 1 },
    },
  });
  await chunk({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  const end = await runGeneration(ctx.gen, ctx.plan, ctx.signal, async (text) => {
    firstByte ??= Date.now() - started;
    countToken(ctx.rec);
    await chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
  });
  if (end.kind === 'midStream') {
    await w.exception(end.error, STREAM_ERROR_MESSAGES[end.error]);
    ctx.res.end();
  } else if (end.kind === 'done') {
    const r = end.result;
    await chunk({ type: 'content_block_stop', index: 0 });
    await chunk({
      type: 'message_delta',
      delta: { stop_reason: r.stopReason, stop_sequence: r.stopSequence ?? null },
      usage: { output_tokens: r.outputTokens },
    });
    const latency = Date.now() - started;
    await chunk({
      type: 'message_stop',
      'amazon-bedrock-invocationMetrics': {
        inputTokenCount: r.inputTokens,
        outputTokenCount: r.outputTokens,
        invocationLatency: latency,
        firstByteLatency: firstByte ?? latency,
      },
    });
    ctx.res.end();
  }
  return end;
}

/** Nova's native stream: Converse-shaped JSON objects inside the chunk bytes. */
async function novaInvokeStream(ctx: OpContext): Promise<RunEnd> {
  const started = ctx.rec.startedAt;
  let firstByte: number | undefined;
  const w = new FrameWriter(ctx.res, ctx.signal);
  const chunk = (event: Record<string, unknown>): Promise<void> =>
    w.event('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') });
  streamHeaders(ctx, { 'x-amzn-bedrock-content-type': 'application/json' });
  await chunk({ messageStart: { role: 'assistant' } });
  const end = await runGeneration(ctx.gen, ctx.plan, ctx.signal, async (text) => {
    firstByte ??= Date.now() - started;
    countToken(ctx.rec);
    await chunk({ contentBlockDelta: { delta: { text }, contentBlockIndex: 0 } });
  });
  if (end.kind === 'midStream') {
    await w.exception(end.error, STREAM_ERROR_MESSAGES[end.error]);
    ctx.res.end();
  } else if (end.kind === 'done') {
    const r = end.result;
    const latency = Date.now() - started;
    await chunk({ contentBlockStop: { contentBlockIndex: 0 } });
    await chunk({ messageStop: { stopReason: r.stopReason } });
    await chunk({
      metadata: {
        usage: { inputTokens: r.inputTokens, outputTokens: r.outputTokens },
        metrics: {},
        trace: {},
      },
      'amazon-bedrock-invocationMetrics': {
        inputTokenCount: r.inputTokens,
        outputTokenCount: r.outputTokens,
        invocationLatency: latency,
        firstByteLatency: firstByte ?? latency,
      },
    });
    ctx.res.end();
  }
  return end;
}

async function nonStreaming(
  ctx: OpContext,
  operation: 'Converse' | 'InvokeModel',
): Promise<RunEnd> {
  const started = ctx.rec.startedAt;
  let text = '';
  const end = await runGeneration(ctx.gen, ctx.plan, ctx.signal, (t) => {
    text += t;
    countToken(ctx.rec);
    return Promise.resolve();
  });
  if (end.kind === 'midStream') {
    // Without a stream the same failure surfaces as the request-level error of that name.
    const name = toRequestErrorName(end.error) ?? 'ModelErrorException';
    const extra: Record<string, unknown> =
      name === 'ModelErrorException' ? { originalStatusCode: 500, resourceName: ctx.modelId } : {};
    writeHttpError(ctx.res, new BedrockHttpError(name, undefined, extra), ctx.requestId);
    ctx.rec.status = new BedrockHttpError(name).status;
    ctx.rec.error = name;
    return end;
  }
  if (end.kind !== 'done') return end;
  const r = end.result;
  const latency = Date.now() - started;
  const payload =
    operation === 'Converse' || ctx.dialect === 'nova'
      ? {
          output: { message: { role: 'assistant', content: [{ text }] } },
          stopReason: r.stopReason,
          usage: {
            inputTokens: r.inputTokens,
            outputTokens: r.outputTokens,
            totalTokens: r.inputTokens + r.outputTokens,
          },
          metrics: { latencyMs: latency },
        }
      : {
          id: messageId(ctx.requestId),
          type: 'message',
          role: 'assistant',
          model: ctx.modelId,
          content: [{ type: 'text', text }],
          stop_reason: r.stopReason,
          stop_sequence: r.stopSequence ?? null,
          usage: { input_tokens: r.inputTokens, output_tokens: r.outputTokens },
        };
  const body = JSON.stringify(payload);
  ctx.res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': ctx.requestId,
    ...(operation === 'InvokeModel'
      ? {
          'x-amzn-bedrock-input-token-count': String(r.inputTokens),
          'x-amzn-bedrock-output-token-count': String(r.outputTokens),
          'x-amzn-bedrock-invocation-latency': String(latency),
        }
      : {}),
  });
  ctx.res.end(body);
  return end;
}
