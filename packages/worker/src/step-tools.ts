import type { ChunkEvent } from '@org/bedrock-stream-contracts';
import type { StoredToolResult } from './record.js';
import { toolResultKey, type StepToolCall } from './steps.js';
import { runTool, type ServerTool, type ToolOutcome } from './tools.js';

/** What {@link runStepTools} needs from the run. */
export interface StepToolsOptions {
  step: number;
  calls: StepToolCall[];
  tools: ReadonlyMap<string, ServerTool>;
  /** Results finished by earlier attempts (the claimed record's `toolResults`). */
  stored: Readonly<Record<string, StoredToolResult>> | undefined;
  /** Cancel / lost lease: the tools stop and this run stops quietly. */
  stopSignal: AbortSignal;
  /** The run's deadline: the tools stop and the deadline's error is thrown. */
  deadlineSignal: AbortSignal;
  timeoutMs: number;
  /** Keeps a finished result for later attempts (before it is published). */
  save: (key: string, result: StoredToolResult) => Promise<void>;
  /** Streams a result. */
  emit: (event: Extract<ChunkEvent, { type: 'tool-result' }>) => void;
}

/** A tool call's result as the next step's tool-result turn carries it. */
export interface StepToolResult {
  toolCallId: string;
  output: unknown;
  isError: boolean;
}

/**
 * Runs a step's server-tool calls in parallel, streaming each result; a call whose result
 * an earlier attempt stored is not run again. Returns the results in call order (calls of
 * client tools are left out, and so are calls stopped by a cancel).
 */
export async function runStepTools(options: StepToolsOptions): Promise<StepToolResult[]> {
  const signal = AbortSignal.any([options.stopSignal, options.deadlineSignal]);
  const occurrences = new Map<string, number>();
  const outcomes = await Promise.all(
    options.calls.map(async (call) => {
      const tool = options.tools.get(call.toolName);
      if (!tool) return null;
      const base = toolResultKey(options.step, call, 0);
      const occurrence = occurrences.get(base) ?? 0;
      occurrences.set(base, occurrence + 1);
      const key = toolResultKey(options.step, call, occurrence);
      const stored = options.stored?.[key];
      const outcome =
        stored ??
        (await runTool(tool, call.input, call.toolCallId, {
          signal,
          timeoutMs: options.timeoutMs,
        }).catch((error: unknown) => {
          // Cancelled or superseded: stop quietly; the deadline fails the run.
          if (options.stopSignal.aborted) return null;
          throw error;
        }));
      if (!outcome) return null;
      if (!stored) await options.save(key, outcome);
      options.emit({
        type: 'tool-result',
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output: outcome.output as ToolOutcome['output'],
        isError: outcome.isError,
      });
      return { toolCallId: call.toolCallId, output: outcome.output, isError: outcome.isError };
    }),
  );
  return outcomes.filter((o) => o !== null);
}
