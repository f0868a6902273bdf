// The local stack and clients as the suite uses them: a fast deterministic model, a
// short worker lease and timeout so retries happen in seconds, and clients with short
// gap/stall timers. Checks read the store over GraphQL, independently of the client.
import {
  ChunkAssembler,
  createStreamClient,
  type StreamClient,
  type StreamClientOptions,
} from '@org/bedrock-stream-client';
import { isTerminalStatus } from '@org/bedrock-stream-contracts';
import { deterministicAnswer, postGraphQL, type GraphQLResponse } from '@org/bedrock-stream-local';
import {
  startLocalStack,
  type LocalStack,
  type LocalStackOptions,
} from '@org/bedrock-stream-stack';

/** Answer length of the suite's model unless a prompt says `[[tokens:N]]`. */
export const OUTPUT_TOKENS = 40;

/** The suite's stack settings; `overrides` replaces whole top-level options. */
export function startSuiteStack(overrides: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 5, tokensPerSecond: 400, outputTokens: OUTPUT_TOKENS },
    worker: { leaseMs: 600, concurrency: 8, timeoutMs: 20_000, retryDelaysMs: [200, 400] },
    ...overrides,
  });
}

/** A real client (Apollo 4 + aws-appsync links over `ws`) with the API key and short timers. */
export function suiteClient(
  stack: LocalStack,
  overrides: Partial<StreamClientOptions> = {},
): StreamClient {
  return createStreamClient({
    url: stack.config.graphqlUrl,
    region: stack.config.region,
    auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
    gapFillDelayMs: 100,
    stallTimeoutMs: 2_000,
    reconnect: { maxTries: 21, initialDelayMs: 100 },
    cancelGraceMs: 500,
    ...overrides,
  });
}

/** The complete answer the deterministic model gives to `prompt` on `stack`. */
export function answerFor(stack: LocalStack, prompt: string, modelId?: string): string {
  return deterministicAnswer(prompt, {
    modelId: modelId ?? stack.config.defaultModelId,
    outputTokens: OUTPUT_TOKENS,
  }).text;
}

/** POSTs one GraphQL operation (the local package's client). */
export const gql = postGraphQL;
export type { GraphQLResponse };

export const GET_STREAM = `query GetStream($streamId: ID!) {
  getStream(streamId: $streamId) { streamId status attempt lastSeq stopReason error }
}`;
const STREAM_CHUNKS = `query StreamChunks($streamId: ID!, $nextToken: String) {
  streamChunks(streamId: $streamId, limit: 500, nextToken: $nextToken) {
    items { attempt seq payload } nextToken
  }
}`;

/** A stream record as getStream returns it. */
export interface RecordView {
  status: string;
  attempt: number;
  lastSeq: number;
  stopReason: string | null;
  error: string | null;
}

/** The record of `streamId`, read with the API key. */
export async function readRecord(stack: LocalStack, streamId: string): Promise<RecordView | null> {
  const res = await gql(stack.config.graphqlUrl, { 'x-api-key': stack.config.apiKey }, GET_STREAM, {
    streamId,
  });
  if (res.errors?.length) throw new Error(`getStream: ${res.errors[0]!.message}`);
  return (res.data?.['getStream'] as RecordView | null) ?? null;
}

/** A chunk as the store holds it. */
export interface StoredChunk {
  attempt: number;
  seq: number;
  payload: string;
}

/** Every stored chunk of a stream (all attempts), read page by page with the API key. */
export async function readChunks(stack: LocalStack, streamId: string): Promise<StoredChunk[]> {
  const items: StoredChunk[] = [];
  let nextToken: string | null = null;
  do {
    const res = await gql(
      stack.config.graphqlUrl,
      { 'x-api-key': stack.config.apiKey },
      STREAM_CHUNKS,
      { streamId, nextToken },
    );
    if (res.errors?.length) throw new Error(`streamChunks: ${res.errors[0]!.message}`);
    const page = res.data!['streamChunks'] as { items: StoredChunk[]; nextToken: string | null };
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

/** The stored chunks of a stream, assembled: what a client must end up showing. */
export async function readStored(
  stack: LocalStack,
  streamId: string,
): Promise<{ text: string; attempt: number; chunks: number }> {
  const assembler = new ChunkAssembler();
  const chunks = await readChunks(stack, streamId);
  for (const chunk of chunks) assembler.push(chunk);
  return { text: assembler.text, attempt: assembler.attempt, chunks: chunks.length };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it returns a truthy value; fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Waits until the stream's record is terminal and returns it. */
export function finishedRecord(
  stack: LocalStack,
  streamId: string,
  timeoutMs = 30_000,
): Promise<RecordView> {
  return eventually(
    async () => {
      const r = await readRecord(stack, streamId);
      return r && isTerminalStatus(r.status) ? r : null;
    },
    timeoutMs,
    `stream ${streamId} to finish`,
  );
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function inBatches<T, R>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
