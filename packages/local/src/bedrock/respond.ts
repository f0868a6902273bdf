import { sleep, type Generation, type GenerationResult } from './backend.js';
import type { StreamErrorName } from './errors.js';
import { FrameWriter } from './eventstream.js';
import type { FaultPlan } from './faults.js';
import type { Res } from './http.js';
import type { ChatRequest } from './model.js';
import { countToken, type BedrockRequestRecord } from './request-log.js';
import {
  BlockTracker,
  blocksFromDeltas,
  toModelDelta,
  type AnswerBlock,
  type ModelDelta,
} from './output.js';
import type { CacheUsage } from './prompt-cache.js';
import type { NativeDialect } from './requests.js';

/** Everything a response writer needs about one accepted request. */
export interface ResponseContext {
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
  /** Prompt-cache tokens of this request. */
  cache: CacheUsage;
}

/** Token usage as a response reports it: cached prompt tokens are not counted as input. */
export interface ResponseUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
  totalTokens: number;
}

/** The usage of a finished generation, with the request's cache reads and writes taken out. */
export function usageOf(ctx: ResponseContext, r: GenerationResult): ResponseUsage {
  // A request the guardrail blocked never reached the model or its cache.
  const cache = r.guardrail === 'input' ? { readTokens: 0, writeTokens: 0 } : ctx.cache;
  const inputTokens = Math.max(0, r.inputTokens - cache.readTokens - cache.writeTokens);
  return {
    inputTokens,
    outputTokens: r.outputTokens,
    cacheReadInputTokens: cache.readTokens,
    cacheWriteInputTokens: cache.writeTokens,
    totalTokens: inputTokens + r.outputTokens + cache.readTokens + cache.writeTokens,
  };
}

/** How driving a generation ended. */
export type RunEnd =
  | { kind: 'done'; result: GenerationResult }
  | { kind: 'midStream'; error: StreamErrorName; sent: number }
  | { kind: 'drop'; sent: number }
  | { kind: 'aborted'; sent: number };

/** Latencies a wire format reports at its end. */
export interface ResponseTiming {
  /** From request start to now. */
  latencyMs: number;
  /** From request start to the first output token (the whole latency when there was none). */
  firstByteLatencyMs: number;
}

/** What one streaming wire format writes around the model's output. */
export interface StreamFormat {
  /** Response headers besides content type and request id. */
  headers?: Record<string, string>;
  /** Frames before the first delta. */
  start(out: FrameWriter): Promise<void>;
  /** Frames opening content block `index`; `first` is its first delta (a `toolUse` names the tool). */
  blockStart(out: FrameWriter, index: number, first: ModelDelta): Promise<void>;
  /** Frames of one delta of block `index` (never a `toolUse` opener). */
  delta(out: FrameWriter, index: number, delta: ModelDelta): Promise<void>;
  /** Frames closing content block `index`. */
  blockStop(out: FrameWriter, index: number): Promise<void>;
  /** Frames after the last block of a completed generation; `text` is the streamed text. */
  end(
    out: FrameWriter,
    result: GenerationResult,
    timing: ResponseTiming,
    text: string,
  ): Promise<void>;
}

/**
 * Drives a generation through the fault plan, calling `onToken` for every delta sent: the one
 * place where faults (mid-stream error, drop, stall) and client aborts are applied to the output.
 */
export async function runGeneration(
  gen: Generation,
  plan: FaultPlan,
  signal: AbortSignal,
  onToken: (delta: ModelDelta, index: number) => Promise<void>,
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
  onToken: (delta: ModelDelta, index: number) => Promise<void>,
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
    await onToken(toModelDelta(next.value), sent);
    sent++;
  }
  return { kind: 'aborted', sent };
}

/**
 * The one streaming skeleton every event-stream response shares: headers first (the SDK resolves
 * the command on them, before any token), the format's opening frames, each delta counted and
 * framed inside its content block, then either the closing frames or the in-stream exception a
 * fault asked for. On a drop or a client abort nothing more is written (the caller tears the
 * connection down).
 */
export async function streamResponse(ctx: ResponseContext, format: StreamFormat): Promise<RunEnd> {
  const started = ctx.rec.startedAt;
  let firstByte: number | undefined;
  const out = new FrameWriter(ctx.res, ctx.signal);
  ctx.res.writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': ctx.requestId,
    ...format.headers,
  });
  ctx.res.flushHeaders();
  await format.start(out);
  const blocks = new BlockTracker();
  let text = '';
  const end = await runGeneration(ctx.gen, ctx.plan, ctx.signal, async (delta) => {
    firstByte ??= Date.now() - started;
    countToken(ctx.rec);
    const step = blocks.next(delta);
    if (step.closes !== undefined) await format.blockStop(out, step.closes);
    if (step.opens) await format.blockStart(out, step.index, delta);
    if (delta.type !== 'toolUse') await format.delta(out, step.index, delta);
    if (delta.type === 'text') text += delta.text;
  });
  if (end.kind === 'midStream') {
    await out.exception(end.error);
    ctx.res.end();
  } else if (end.kind === 'done') {
    const open = blocks.openBlock();
    if (open !== undefined) await format.blockStop(out, open);
    const latencyMs = Date.now() - started;
    await format.end(
      out,
      end.result,
      { latencyMs, firstByteLatencyMs: firstByte ?? latencyMs },
      text,
    );
    ctx.res.end();
  }
  return end;
}

/** Runs a generation to its end for a non-streaming answer, with the same faults and aborts. */
export async function collectResponse(
  ctx: ResponseContext,
): Promise<{ end: RunEnd; content: AnswerBlock[]; timing: ResponseTiming }> {
  const started = ctx.rec.startedAt;
  let firstByte: number | undefined;
  const deltas: ModelDelta[] = [];
  const end = await runGeneration(ctx.gen, ctx.plan, ctx.signal, (delta) => {
    firstByte ??= Date.now() - started;
    deltas.push(delta);
    countToken(ctx.rec);
    return Promise.resolve();
  });
  const latencyMs = Date.now() - started;
  return {
    end,
    content: blocksFromDeltas(deltas),
    timing: { latencyMs, firstByteLatencyMs: firstByte ?? latencyMs },
  };
}
