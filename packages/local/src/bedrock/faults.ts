import { z } from 'zod';
import {
  toRequestErrorName,
  toStreamErrorName,
  type RequestErrorName,
  type StreamErrorName,
} from './errors.js';

/**
 * Server-wide faults (constructor option `faults` or `setFaults()`); counters restart whenever
 * faults are set. `count` limits how many subsequent model calls a fault hits (default: all).
 */
export interface BedrockServerFaults {
  /** The first N model calls fail with ThrottlingException (HTTP 429) before any streaming. */
  throttleFirstN?: number;
  /** The first `count` model calls fail with the given request-level error. */
  errorFirstN?: { count: number; error: RequestErrorName };
  /** Streams send `afterTokens` tokens, then an in-stream exception (default modelStreamErrorException). */
  midStreamError?: { afterTokens: number; error?: StreamErrorName; count?: number };
  /** The connection is destroyed after `afterTokens` tokens (0: before the response headers). */
  drop?: { afterTokens: number; count?: number };
  /** Output stops after `afterTokens` tokens for `ms` (omitted: until the client gives up). */
  stall?: { afterTokens: number; ms?: number; count?: number };
}

/** What to do to one request, after combining server faults and prompt markers. */
export interface FaultPlan {
  reject?: { error: RequestErrorName };
  midStream?: { afterTokens: number; error: StreamErrorName };
  drop?: { afterTokens: number };
  stall?: { afterTokens: number; ms?: number };
  /** Human-readable description for logs and stats. */
  labels: string[];
}

const MARKER = /\[\[fault:([a-z-]+)((?::[a-zA-Z]+=[^:\]]*)*)\]\]/g;

const ParamsSchema = z.object({
  after: z.coerce.number().int().min(0).optional(),
  ms: z.coerce.number().int().min(0).optional(),
  times: z.coerce.number().int().min(1).optional(),
  type: z.string().optional(),
});

/** A fault marker found in a prompt. */
export interface PromptFault {
  kind:
    'throttle' | 'unavailable' | 'access-denied' | 'error' | 'mid-stream-error' | 'drop' | 'stall';
  raw: string;
  after: number;
  ms?: number;
  times?: number;
  requestError?: RequestErrorName;
  streamError?: StreamErrorName;
}

/**
 * Parses `[[fault:KIND(:key=value)*]]` markers. Unknown kinds or bad parameters are ignored so a
 * typo never turns into a surprising server error (they are reported in `stats().ignoredMarkers`).
 */
export function parseFaultMarkers(text: string): { faults: PromptFault[]; ignored: string[] } {
  const faults: PromptFault[] = [];
  const ignored: string[] = [];
  for (const m of text.matchAll(MARKER)) {
    const raw = m[0];
    const kind = m[1] ?? '';
    const params: Record<string, string> = {};
    for (const part of (m[2] ?? '').split(':').filter((p) => p.length > 0)) {
      const eq = part.indexOf('=');
      params[part.slice(0, eq)] = part.slice(eq + 1);
    }
    const parsed = ParamsSchema.safeParse(params);
    if (!parsed.success) {
      ignored.push(raw);
      continue;
    }
    const p = parsed.data;
    const base = { raw, after: p.after ?? 0, ms: p.ms, times: p.times };
    switch (kind) {
      case 'throttle':
        faults.push({ ...base, kind, requestError: 'ThrottlingException' });
        break;
      case 'unavailable':
        faults.push({ ...base, kind, requestError: 'ServiceUnavailableException' });
        break;
      case 'access-denied':
        faults.push({ ...base, kind, requestError: 'AccessDeniedException' });
        break;
      case 'error': {
        const requestError = toRequestErrorName(p.type ?? 'InternalServerException');
        if (requestError === undefined) ignored.push(raw);
        else faults.push({ ...base, kind, requestError });
        break;
      }
      case 'mid-stream-error': {
        const streamError = toStreamErrorName(p.type ?? 'modelStreamErrorException');
        if (streamError === undefined) ignored.push(raw);
        else faults.push({ ...base, kind, streamError });
        break;
      }
      case 'drop':
      case 'stall':
        faults.push({ ...base, kind });
        break;
      default:
        ignored.push(raw);
    }
  }
  return { faults, ignored };
}

/** Mutable fault state of one server: server faults with counters plus per-prompt `times` counters. */
export class FaultState {
  private faults: BedrockServerFaults = {};
  private calls = 0;
  private readonly promptCounts = new Map<string, number>();
  /** Markers that did not parse, for debugging. */
  readonly ignoredMarkers: string[] = [];

  constructor(initial?: BedrockServerFaults) {
    this.set(initial ?? {});
  }

  /** Replaces the server faults and restarts their counters. */
  set(faults: BedrockServerFaults): void {
    this.faults = { ...faults };
    this.calls = 0;
  }

  /** Current server faults. */
  get(): BedrockServerFaults {
    return { ...this.faults };
  }

  /** Forgets per-prompt `times` counters (e.g. between tests). */
  resetPromptCounters(): void {
    this.promptCounts.clear();
  }

  /** Decides the faults of the next model call; `rawPrompt` is the marker-bearing prompt text. */
  plan(rawPrompt: string): FaultPlan {
    const n = this.calls++;
    const f = this.faults;
    const within = (count: number | undefined): boolean => count === undefined || n < count;
    const plan: FaultPlan = { labels: [] };
    if (f.throttleFirstN !== undefined && n < f.throttleFirstN) {
      plan.reject = { error: 'ThrottlingException' };
      plan.labels.push(`server:throttleFirstN=${f.throttleFirstN}`);
    } else if (f.errorFirstN !== undefined && n < f.errorFirstN.count) {
      plan.reject = { error: f.errorFirstN.error };
      plan.labels.push(`server:errorFirstN=${f.errorFirstN.error}`);
    }
    if (f.midStreamError !== undefined && within(f.midStreamError.count)) {
      plan.midStream = {
        afterTokens: f.midStreamError.afterTokens,
        error: f.midStreamError.error ?? 'modelStreamErrorException',
      };
      plan.labels.push('server:midStreamError');
    }
    if (f.drop !== undefined && within(f.drop.count)) {
      plan.drop = { afterTokens: f.drop.afterTokens };
      plan.labels.push('server:drop');
    }
    if (f.stall !== undefined && within(f.stall.count)) {
      plan.stall = { afterTokens: f.stall.afterTokens, ms: f.stall.ms };
      plan.labels.push('server:stall');
    }

    const { faults, ignored } = parseFaultMarkers(rawPrompt);
    this.ignoredMarkers.push(...ignored);
    if (faults.length > 0) {
      // `times` counts requests carrying this exact prompt, so a retried request can succeed.
      const seen = this.promptCounts.get(rawPrompt) ?? 0;
      this.promptCounts.set(rawPrompt, seen + 1);
      for (const pf of faults) {
        if (pf.times !== undefined && seen >= pf.times) continue;
        plan.labels.push(pf.raw);
        if (pf.requestError !== undefined) plan.reject ??= { error: pf.requestError };
        else if (pf.kind === 'mid-stream-error' && pf.streamError !== undefined)
          plan.midStream = { afterTokens: pf.after, error: pf.streamError };
        else if (pf.kind === 'drop') plan.drop = { afterTokens: pf.after };
        else if (pf.kind === 'stall') plan.stall = { afterTokens: pf.after, ms: pf.ms };
      }
    }
    return plan;
  }
}
