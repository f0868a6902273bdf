import { postGraphQL, signAppSyncRequest } from '@org/bedrock-stream-local';
import { decodeChunkPayload, type ChunkEvent } from '@org/bedrock-stream-contracts';

export const PUBLISH = `mutation PublishChunk($input: PublishChunkInput!) {
  publishChunk(input: $input) { streamId attempt seq payload createdAt }
}`;
export const START = `mutation StartStream($input: StartStreamInput!) {
  startStream(input: $input) { streamId status cancelRequested createdAt }
}`;
export const CANCEL = `mutation CancelStream($streamId: ID!) { cancelStream(streamId: $streamId) { streamId status cancelRequested } }`;
export const GET = `query GetStream($streamId: ID!) { getStream(streamId: $streamId) { streamId status attempt lastSeq stopReason usage metrics error } }`;
export const CHUNKS = `query StreamChunks($streamId: ID!, $attempt: Int, $afterSeq: Int) {
  streamChunks(streamId: $streamId, attempt: $attempt, afterSeq: $afterSeq, limit: 500) { items { attempt seq payload } nextToken }
}`;

/** POSTs a GraphQL request with the given headers. */
export const gql = postGraphQL;

/** SigV4 headers (service appsync) for a POST of `body` to `url`. */
export const sigv4Headers = signAppSyncRequest;

/** Text and events of stored/received chunks of the latest attempt, in (attempt, seq) order. */
export function assemble(chunks: Array<{ attempt: number; seq: number; payload: string }>): {
  text: string;
  events: ChunkEvent[];
  attempt: number;
} {
  const latest = Math.max(0, ...chunks.map((c) => c.attempt));
  const unique = new Map<number, ChunkEvent[]>();
  for (const c of chunks)
    if (c.attempt === latest) unique.set(c.seq, decodeChunkPayload(c.payload).events);
  const events = [...unique.entries()].sort(([a], [b]) => a - b).flatMap(([, e]) => e);
  return {
    text: events.map((e) => (e.type === 'text' ? e.text : '')).join(''),
    events,
    attempt: latest,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
