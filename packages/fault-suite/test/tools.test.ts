/**
 * Server-side tools and reasoning under worker failure: the worker runs the stack's demo
 * tools (get_weather, slow_lookup; each run logged to a file across the invoker's worker
 * processes). A worker killed during a tool call or during reasoning is retried as
 * attempt 2: clients end with exactly the stored parts and text, and no tool that
 * finished runs again (attempt 2 reuses the result the record keeps).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkAssembler, type StreamClient, type StreamPart } from '@org/bedrock-stream-client';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  finishedRecord,
  readChunks,
  reportCase,
  startSuiteStack,
  suiteClient,
  totalDiff,
} from '../src/index.js';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
// Claude 3.7 Sonnet thinks; Bedrock serves it through its inference profile only.
const SONNET_FOUNDATION = 'anthropic.claude-3-7-sonnet-20250219-v1:0';
const SONNET = `us.${SONNET_FOUNDATION}`;
const THINKING = { thinking: { budgetTokens: 1024 }, inferenceConfig: { maxTokens: 2048 } };

let stack: LocalStack;
let client: StreamClient;
let dir: string;
let runLog: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tool-faults-'));
  runLog = join(dir, 'tool-runs.jsonl');
  stack = await startSuiteStack({
    // 40 tokens/s: reasoning (16 tokens) takes 0.4 s, room to kill in it.
    model: { timeToFirstTokenMs: 5, tokensPerSecond: 40, outputTokens: 20 },
    allowedModelIds: [HAIKU, SONNET],
    bedrockModelIds: [HAIKU, SONNET_FOUNDATION],
    worker: {
      leaseMs: 600,
      concurrency: 8,
      timeoutMs: 30_000,
      retryDelaysMs: [200, 400],
      demoTools: true,
      toolRunLog: runLog,
    },
  });
  client = suiteClient(stack);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface ToolRun {
  phase: 'start' | 'finish';
  tool: string;
  input: Record<string, unknown>;
}

/** The demo tools' runs whose input has `key` = `value`. */
function runsOf(key: string, value: string): ToolRun[] {
  let raw = '';
  try {
    raw = readFileSync(runLog, 'utf8');
  } catch {
    return [];
  }
  return raw
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ToolRun)
    .filter((run) => run.input[key] === value);
}

/** The parts and text the store holds for the stream's last attempt. */
async function storedView(streamId: string) {
  const assembler = new ChunkAssembler();
  for (const chunk of await readChunks(stack, streamId)) assembler.push(chunk);
  return { parts: assembler.parts, text: assembler.text, attempt: assembler.attempt };
}

const isStream = (streamId: string) => (payload: unknown) =>
  (payload as { streamId?: string } | null)?.streamId === streamId;

const toolParts = (parts: readonly StreamPart[]) =>
  parts.filter((p): p is Extract<StreamPart, { type: 'tool-call' }> => p.type === 'tool-call');

describe('server tools end to end', () => {
  it("the client's parts show reasoning, the tool call with its output, and the text", async () => {
    const city = `Paris-${randomUUID().slice(0, 8)}`;
    const handle = client.stream({
      modelId: SONNET,
      prompt: `What is the weather? get_weather city="${city}"`,
      ...THINKING,
    });
    const result = await handle.done;
    expect(result.status).toBe('done');
    expect(result.stopReason).toBe('end_turn');
    const types = result.parts.map((p) => p.type);
    expect(types[0]).toBe('step-start');
    const reasoning = result.parts.find((p) => p.type === 'reasoning');
    expect(reasoning).toMatchObject({
      type: 'reasoning',
      signature: expect.any(String) as unknown,
    });
    const [call] = toolParts(result.parts);
    expect(call).toMatchObject({
      toolName: 'get_weather',
      state: 'output-available',
      input: { city },
      output: { city },
    });
    expect(result.text).toContain(`get_weather returned {"city":"${city}"`);
    expect(types.filter((t) => t === 'step-start')).toHaveLength(2);
    const stored = await storedView(handle.streamId);
    expect(result.parts).toEqual(stored.parts);
    expect(runsOf('city', city).filter((r) => r.phase === 'finish')).toHaveLength(1);
  });
});

describe('worker failures with tools and reasoning', () => {
  it('worker killed during a tool call: attempt 2 completes, nothing lost or duplicated', async () => {
    const TRIALS = 4;
    const results = [];
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const query = `q-${trial}-${randomUUID().slice(0, 8)}`;
      const handle = client.stream({
        modelId: HAIKU,
        prompt: `Find it: slow_lookup query="${query}" ms=1500`,
      });
      // Kill once the tool is running (its start is logged, its finish not yet).
      await eventually(
        () => runsOf('query', query).some((r) => r.phase === 'start'),
        15_000,
        `trial ${trial}: the tool to start`,
      );
      const killed = stack.invoker.killRunning(isStream(handle.streamId));
      const result = await handle.done;
      const record = await finishedRecord(stack, handle.streamId);
      const stored = await storedView(handle.streamId);
      results.push({ query, killed, result, record, stored, runs: runsOf('query', query) });
    }
    const figures = totalDiff(
      results.map((r) => ({ expected: r.stored.text, actual: r.result.text })),
    );
    reportCase({
      name: 'worker killed during a tool call',
      trials: TRIALS,
      faults: results.filter((r) => r.killed).length,
      ...figures,
      notes: `attempt 2 ran each unfinished tool once more; finished runs per call: ${results.map((r) => r.runs.filter((x) => x.phase === 'finish').length).join(',')}`,
    });
    for (const r of results) {
      expect(r.killed).toBe(true);
      expect(r.result.status).toBe('done');
      expect(r.record).toMatchObject({ status: 'COMPLETED', attempt: 2 });
      expect(r.result.text).toBe(r.stored.text);
      expect(r.result.parts).toEqual(r.stored.parts);
      // Killed before it finished, the tool ran again in attempt 2, and finished once.
      expect(r.runs.filter((x) => x.phase === 'finish')).toHaveLength(1);
      const [call] = toolParts(r.result.parts);
      expect(call).toMatchObject({ state: 'output-available', output: { query: r.query } });
      expect(r.result.text.split(`slow_lookup returned`).length - 1).toBe(1);
    }
    expect(figures).toEqual({ lost: 0, duplicated: 0 });
  });

  it('worker killed during reasoning after a tool finished: the tool does not run again', async () => {
    const TRIALS = 4;
    const results = [];
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const city = `c-${trial}-${randomUUID().slice(0, 8)}`;
      const handle = client.stream({
        modelId: SONNET,
        prompt: `get_weather city="${city}"`,
        ...THINKING,
      });
      // Step 2's reasoning is streaming: the tool's output is in, no text after it yet.
      await eventually(
        () => {
          const parts = handle.parts;
          const done = parts.findIndex(
            (p) => p.type === 'tool-call' && p.state === 'output-available',
          );
          return done >= 0 && parts.slice(done + 1).some((p) => p.type === 'reasoning');
        },
        15_000,
        `trial ${trial}: step 2 reasoning`,
      );
      const killed = stack.invoker.killRunning(isStream(handle.streamId));
      const result = await handle.done;
      const record = await finishedRecord(stack, handle.streamId);
      const stored = await storedView(handle.streamId);
      results.push({ city, killed, result, record, stored, runs: runsOf('city', city) });
    }
    const midStream = results.filter((r) => r.record.attempt === 2);
    const figures = totalDiff(
      results.map((r) => ({ expected: r.stored.text, actual: r.result.text })),
    );
    reportCase({
      name: 'worker killed during reasoning (after a tool)',
      trials: TRIALS,
      faults: midStream.length,
      ...figures,
      notes: `${midStream.length} mid-stream kills; tool runs per call: ${results.map((r) => r.runs.filter((x) => x.phase === 'start').length).join(',')}`,
    });
    expect(midStream.length).toBeGreaterThanOrEqual(TRIALS - 1);
    for (const r of results) {
      expect(r.result.status).toBe('done');
      expect(r.record.status).toBe('COMPLETED');
      expect(r.result.text).toBe(r.stored.text);
      expect(r.result.parts).toEqual(r.stored.parts);
      // The tool finished in attempt 1; attempt 2 reused its stored result.
      expect(r.runs.filter((x) => x.phase === 'start')).toHaveLength(1);
      const reasoning = r.result.parts.filter((p) => p.type === 'reasoning');
      expect(reasoning.length).toBe(2);
      expect(r.result.text.split('get_weather returned').length - 1).toBe(1);
    }
    expect(figures).toEqual({ lost: 0, duplicated: 0 });
  });
});
