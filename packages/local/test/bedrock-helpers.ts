import {
  BedrockRuntimeClient,
  type ConverseStreamOutput,
  type ResponseStream,
} from '@aws-sdk/client-bedrock-runtime';

/** A real SDK client pointed at the local endpoint; retries off unless asked. */
export function sdkClient(url: string, maxAttempts = 1): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts,
  });
}

/** Anthropic Messages body as a JSON string. */
export function anthropicBody(prompt: string, maxTokens = 1000, extra: object = {}): string {
  return JSON.stringify({
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: maxTokens,
    messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    ...extra,
  });
}

/** Collects ConverseStream events with their arrival times. */
export async function collectConverse(
  stream: AsyncIterable<ConverseStreamOutput> | undefined,
): Promise<{ events: ConverseStreamOutput[]; times: number[]; text: string }> {
  const events: ConverseStreamOutput[] = [];
  const times: number[] = [];
  let text = '';
  for await (const ev of stream ?? []) {
    events.push(ev);
    times.push(performance.now());
    if (ev.contentBlockDelta?.delta?.text !== undefined) text += ev.contentBlockDelta.delta.text;
  }
  return { events, times, text };
}

/** Decodes InvokeModelWithResponseStream chunks into Anthropic stream events. */
export async function collectInvoke(
  stream: AsyncIterable<ResponseStream> | undefined,
): Promise<{ events: Array<Record<string, unknown>>; text: string; times: number[] }> {
  const events: Array<Record<string, unknown>> = [];
  const times: number[] = [];
  let text = '';
  for await (const part of stream ?? []) {
    const bytes = part.chunk?.bytes;
    if (!bytes) continue;
    const ev = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    events.push(ev);
    times.push(performance.now());
    const delta = ev.delta as { type?: string; text?: string } | undefined;
    if (ev.type === 'content_block_delta' && delta?.type === 'text_delta') text += delta.text ?? '';
  }
  return { events, text, times };
}

/** Awaits a promise expected to reject and returns the error. */
export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** Polls `check` until it returns true (no wall-clock assertions, just a bounded wait). */
export async function waitFor(check: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}

/** One content block reassembled from a stream. */
export interface StreamedBlock {
  index: number;
  kind: 'text' | 'reasoning' | 'redacted' | 'toolUse';
  text: string;
  signature?: string;
  redacted?: Uint8Array | string;
  toolUseId?: string;
  name?: string;
  /** Tool input JSON as streamed (partial pieces joined). */
  json: string;
  /** The partial-JSON pieces in arrival order. */
  pieces: string[];
}

/** Reassembles ConverseStream events into content blocks, checking start/stop pairing. */
export function converseBlocks(events: ConverseStreamOutput[]): StreamedBlock[] {
  const blocks = new Map<number, StreamedBlock>();
  const at = (index: number): StreamedBlock => {
    let b = blocks.get(index);
    if (!b) {
      b = { index, kind: 'text', text: '', json: '', pieces: [] };
      blocks.set(index, b);
    }
    return b;
  };
  for (const ev of events) {
    const start = ev.contentBlockStart;
    if (start?.start?.toolUse) {
      const b = at(start.contentBlockIndex ?? -1);
      b.kind = 'toolUse';
      b.toolUseId = start.start.toolUse.toolUseId;
      b.name = start.start.toolUse.name;
    }
    const d = ev.contentBlockDelta;
    if (d?.delta) {
      const b = at(d.contentBlockIndex ?? -1);
      if (d.delta.text !== undefined) b.text += d.delta.text;
      const r = d.delta.reasoningContent;
      if (r?.text !== undefined) {
        b.kind = 'reasoning';
        b.text += r.text;
      }
      if (r?.signature !== undefined) b.signature = r.signature;
      if (r?.redactedContent !== undefined) {
        b.kind = 'redacted';
        b.redacted = r.redactedContent;
      }
      if (d.delta.toolUse?.input !== undefined) {
        b.json += d.delta.toolUse.input;
        b.pieces.push(d.delta.toolUse.input);
      }
    }
  }
  return [...blocks.values()].sort((a, b) => a.index - b.index);
}

/** Reassembles Anthropic stream events (from InvokeModelWithResponseStream) into content blocks. */
export function anthropicBlocks(events: Array<Record<string, unknown>>): StreamedBlock[] {
  const blocks: StreamedBlock[] = [];
  for (const ev of events) {
    const index = ev.index as number;
    if (ev.type === 'content_block_start') {
      const cb = ev.content_block as Record<string, string>;
      blocks[index] = {
        index,
        kind:
          cb.type === 'thinking'
            ? 'reasoning'
            : cb.type === 'redacted_thinking'
              ? 'redacted'
              : cb.type === 'tool_use'
                ? 'toolUse'
                : 'text',
        text: '',
        json: '',
        pieces: [],
        ...(cb.type === 'tool_use' ? { toolUseId: cb.id, name: cb.name } : {}),
        ...(cb.type === 'redacted_thinking' ? { redacted: cb.data } : {}),
      };
    } else if (ev.type === 'content_block_delta') {
      const b = blocks[index] as StreamedBlock;
      const d = ev.delta as Record<string, string>;
      if (d.type === 'text_delta') b.text += d.text;
      if (d.type === 'thinking_delta') b.text += d.thinking;
      if (d.type === 'signature_delta') b.signature = d.signature;
      if (d.type === 'input_json_delta') {
        b.json += d.partial_json;
        b.pieces.push(d.partial_json ?? '');
      }
    }
  }
  return blocks;
}

/** A minimal PNG header of the given size (enough for dimension checks; not a decodable image). */
export function pngOfSize(width: number, height: number, padTo = 0): Uint8Array {
  const head = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head, 0);
  head.writeUInt32BE(13, 8);
  head.write('IHDR', 12, 'latin1');
  head.writeUInt32BE(width, 16);
  head.writeUInt32BE(height, 20);
  head.writeUInt8(8, 24);
  head.writeUInt8(6, 25);
  const tail = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  const body = Buffer.concat([head, tail]);
  return padTo > body.length ? Buffer.concat([body, Buffer.alloc(padTo - body.length)]) : body;
}
