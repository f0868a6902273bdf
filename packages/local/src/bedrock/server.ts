import { randomUUID } from 'node:crypto';
import {
  deterministicBackend,
  openAiProxyBackend,
  type DeterministicTiming,
  type ModelBackend,
  type OpenAiProxyOptions,
} from './backend.js';
import { BedrockHttpError, writeHttpError } from './errors.js';
import { FaultState, type BedrockServerFaults } from './faults.js';
import { anthropicStreamFormat } from './formats/anthropic.js';
import { converseStreamFormat } from './formats/converse.js';
import { jsonResponse } from './formats/json.js';
import { novaStreamFormat } from './formats/nova.js';
import { dropConnection, type Req, type Res } from './http.js';
import { listenHttp1And2 } from './listener.js';
import { parseConverseBody } from './converse-request.js';
import { estimateInputTokens, rawPromptText, type ChatRequest } from './model.js';
import { DEFAULT_MODEL_IDS, assertInvocable, modelInfo, resolveModelId } from './models.js';
import { PromptCache } from './prompt-cache.js';
import { RequestLog, type BedrockRequestRecord, type BedrockStats } from './request-log.js';
import { parseNativeBody, type NativeDialect, type NativeGuardrailHeaders } from './requests.js';
import { checkRequest } from './rules.js';
import { streamResponse, type ResponseContext, type RunEnd } from './respond.js';
import {
  decodeURIComponentSafe,
  isStreaming,
  matchRoute,
  readBody,
  type BedrockOperation,
} from './routes.js';
import { verifySigV4, type SigV4Credential } from './sigv4.js';

export { DEFAULT_MODEL_IDS } from './models.js';
export type { BedrockOperation } from './routes.js';
export type { BedrockRequestRecord, BedrockStats, RequestOutcome } from './request-log.js';

/** Options of {@link startBedrockServer}. */
export interface BedrockServerOptions extends DeterministicTiming {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Bind address; default 127.0.0.1 (loopback only). */
  host?: string;
  /**
   * Accepted foundation-model ids (default {@link DEFAULT_MODEL_IDS}); others get
   * ValidationException. Their system inference profiles (`us.`, `eu.`, `global.` ...) and ARNs
   * are accepted too.
   */
  modelIds?: readonly string[];
  /**
   * Accept the bare foundation id of models Bedrock serves only through inference profiles
   * (Claude 3.7 and newer, Nova Premier). Default false: "with on-demand throughput isn't
   * supported", as on Bedrock.
   */
  allowOnDemandForProfileOnlyModels?: boolean;
  /** Known model ids the caller has no access to: AccessDeniedException, as for an un-granted model. */
  deniedModelIds?: readonly string[];
  /**
   * Input token estimate above which requests get "Input is too long" (default 200 000); also the
   * context window: an answer that would overflow it stops with `model_context_window_exceeded`.
   */
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
  /** Empties the prompt cache (the next request with a cache checkpoint writes again). */
  clearPromptCache(): void;
  /** Aborts running generations, closes connections and the listener. */
  close(): Promise<void>;
}

/** Answers a request outside the AWS error model (unknown route, failed signature). */
function writePlainError(res: Res, status: number, errorType: string, message: string, id: string) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': id,
    'x-amzn-errortype': errorType,
  });
  res.end(JSON.stringify({ message }));
}

/** The guardrail headers of an InvokeModel* request (the SDK's `guardrailIdentifier` etc.). */
function nativeGuardrailHeaders(req: Req): NativeGuardrailHeaders {
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    identifier: header('x-amzn-bedrock-guardrailidentifier'),
    version: header('x-amzn-bedrock-guardrailversion'),
    trace: header('x-amzn-bedrock-trace'),
  };
}

/** Writes the response of an accepted request in the operation's wire format. */
function respond(ctx: ResponseContext, operation: BedrockOperation): Promise<RunEnd> {
  if (operation === 'ConverseStream') return streamResponse(ctx, converseStreamFormat(ctx));
  if (operation === 'InvokeModelWithResponseStream') {
    const format = ctx.dialect === 'nova' ? novaStreamFormat(ctx) : anthropicStreamFormat(ctx);
    return streamResponse(ctx, format);
  }
  return jsonResponse(ctx, operation);
}

/** Starts the Bedrock-compatible endpoint (see the package README for the wire behaviour). */
export async function startBedrockServer(
  options: BedrockServerOptions = {},
): Promise<BedrockServer> {
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
  const requests = new RequestLog(options.log);
  const promptCache = new PromptCache();

  /** Validates an accepted route's request and streams or returns the answer. */
  async function serve(
    req: Req,
    res: Res,
    operation: BedrockOperation,
    rawModelId: string,
    rec: BedrockRequestRecord,
    signal: AbortSignal,
  ): Promise<void> {
    const body = await readBody(req, maxBodyBytes);
    if (options.verifySigV4) {
      const failure = await verifySigV4(
        { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body },
        options.verifySigV4.credentials,
      );
      if (failure) {
        rec.status = 403;
        rec.error = failure.errorType;
        writePlainError(res, 403, failure.errorType, failure.message, rec.requestId);
        requests.finish(rec, 'error');
        return;
      }
    }
    const resolved = resolveModelId(rawModelId, allowed);
    rec.modelId = resolved?.modelId ?? decodeURIComponentSafe(rawModelId);
    if (resolved === undefined) {
      throw new BedrockHttpError(
        'ValidationException',
        'The provided model identifier is invalid.',
      );
    }
    const modelId = resolved.modelId;
    if (denied.has(modelId)) throw new BedrockHttpError('AccessDeniedException');
    if (!options.allowOnDemandForProfileOnlyModels) assertInvocable(resolved);
    const converse = operation === 'Converse' || operation === 'ConverseStream';
    let chat: ChatRequest;
    let dialect: NativeDialect = 'anthropic';
    if (converse) chat = parseConverseBody(body);
    else ({ chat, dialect } = parseNativeBody(body, modelId, nativeGuardrailHeaders(req)));
    const model = modelInfo(modelId);
    checkRequest(chat, model, converse ? 'converse' : 'native');
    const inputTokens = estimateInputTokens(chat);
    if (inputTokens > maxInputTokens) {
      throw new BedrockHttpError('ValidationException', 'Input is too long for requested model.');
    }
    const raw = rawPromptText(chat);
    rec.prompt = raw.slice(0, 200);
    const plan = faults.plan(raw);
    rec.faults = plan.labels;
    if (plan.labels.length > 0) requests.faultInjected();
    if (plan.reject) throw new BedrockHttpError(plan.reject.error);
    if (plan.drop?.afterTokens === 0) {
      requests.finish(rec, 'dropped');
      await dropConnection(res);
      return;
    }
    const cache = promptCache.use(
      modelId,
      chat.cacheCheckpoints ?? [],
      model.cacheMinTokens ?? 0,
      inputTokens,
    );
    const gen = await backend.generate(chat, {
      modelId,
      signal,
      contextWindowTokens: maxInputTokens,
    });
    const ctx: ResponseContext = {
      res,
      signal,
      cache,
      modelId,
      chat,
      gen,
      plan,
      rec,
      dialect,
      requestId: rec.requestId,
    };
    const end = await respond(ctx, operation);
    if (end.kind === 'drop') {
      requests.finish(rec, 'dropped');
      await dropConnection(res);
    } else if (end.kind === 'midStream') {
      rec.error ??= end.error;
      requests.finish(rec, isStreaming(operation) ? 'stream-error' : 'error');
    } else if (end.kind === 'done') {
      rec.stopReason = end.result.stopReason;
      requests.finish(rec, 'completed');
    }
  }

  async function handle(req: Req, res: Res): Promise<void> {
    const requestId = randomUUID();
    const controller = new AbortController();
    const { operation, rawModelId } = matchRoute(req.url);
    const rec = requests.begin(requestId, operation);
    active.set(requestId, controller);
    // 'close' before the response ended means the client went away: stop generating.
    res.on('close', () => {
      active.delete(requestId);
      if (!res.writableEnded) {
        controller.abort();
        requests.finish(rec, 'aborted');
      }
    });
    const fail = (err: BedrockHttpError): void => {
      rec.status = err.status;
      rec.error = err.name;
      writeHttpError(res, err, requestId);
      requests.finish(rec, 'error');
    };
    try {
      if (req.method !== 'POST' || operation === 'unknown') {
        // Drain the body so keep-alive connections stay usable.
        req.resume();
        rec.status = 404;
        rec.error = 'UnknownOperationException';
        writePlainError(res, 404, 'UnknownOperationException', 'Unknown operation', requestId);
        requests.finish(rec, 'error');
        return;
      }
      await serve(req, res, operation, rawModelId, rec, controller.signal);
    } catch (err) {
      if (err instanceof BedrockHttpError) fail(err);
      else if (controller.signal.aborted) requests.finish(rec, 'aborted');
      else fail(new BedrockHttpError('InternalServerException', (err as Error).message));
    } finally {
      // Whatever happened, nothing may keep generating for this request (upstream fetches included).
      controller.abort();
      active.delete(requestId);
    }
  }

  const listener = await listenHttp1And2((req, res) => void handle(req, res), {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
  });

  return {
    url: listener.url,
    port: listener.port,
    stats: () => requests.stats(active.size, faults.ignoredMarkers),
    setFaults: (f) => faults.set(f),
    setTiming: (t) => {
      timing = { ...timing, ...t };
    },
    resetPromptFaultCounters: () => faults.resetPromptCounters(),
    clearPromptCache: () => promptCache.clear(),
    close: async () => {
      for (const c of active.values()) c.abort();
      await listener.close();
    },
  };
}
