import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicAnswer, startBedrockServer, type BedrockServer } from '../src/index.js';
import { collectConverse, sdkClient } from './bedrock-helpers.js';

const MODEL = 'amazon.nova-lite-v1:0';
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Splits a byte buffer into event-stream messages (length prefix) and decodes them (CRC-checked). */
function decodeAll(bytes: Uint8Array): Message[] {
  const out: Message[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset < bytes.byteLength) {
    const total = view.getUint32(offset);
    out.push(codec.decode(bytes.subarray(offset, offset + total)));
    offset += total;
  }
  return out;
}

function header(m: Message, name: string): unknown {
  return m.headers[name]?.value;
}

describe('bedrock endpoint: wire format over HTTP/1.1', () => {
  let server: BedrockServer;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 4 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('ConverseStream frames carry :event-type, :content-type, :message-type', async () => {
    const res = await fetch(`${server.url}/model/${encodeURIComponent(MODEL)}/converse-stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'wire' }] }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const messages = decodeAll(new Uint8Array(await res.arrayBuffer()));
    expect(messages.map((m) => header(m, ':event-type'))).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    for (const m of messages) {
      expect(header(m, ':message-type')).toBe('event');
      expect(header(m, ':content-type')).toBe('application/json');
    }
    const text = messages
      .filter((m) => header(m, ':event-type') === 'contentBlockDelta')
      .map((m) => (JSON.parse(toUtf8(m.body)) as { delta: { text: string } }).delta.text)
      .join('');
    expect(text).toBe(deterministicAnswer('wire', { outputTokens: 4 }).text);
  });

  it('an injected in-stream error is an exception frame with :exception-type', async () => {
    const res = await fetch(
      `${server.url}/model/${encodeURIComponent(MODEL)}/invoke-with-response-stream`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'x [[fault:mid-stream-error:after=1]]' }],
        }),
      },
    );
    expect(res.headers.get('x-amzn-bedrock-content-type')).toBe('application/json');
    const messages = decodeAll(new Uint8Array(await res.arrayBuffer()));
    const last = messages.at(-1) as Message;
    expect(header(last, ':message-type')).toBe('exception');
    expect(header(last, ':exception-type')).toBe('modelStreamErrorException');
    expect(JSON.parse(toUtf8(last.body))).toMatchObject({ originalStatusCode: 500 });
    // message_start, content_block_start and one delta came before it, as base64 chunk bytes.
    const first = JSON.parse(toUtf8((messages[0] as Message).body)) as { bytes: string };
    expect(JSON.parse(Buffer.from(first.bytes, 'base64').toString()).type).toBe('message_start');
    expect(messages).toHaveLength(4);
  });

  it('serves many concurrent SDK streams independently', async () => {
    const client = sdkClient(server.url);
    try {
      const prompts = Array.from({ length: 8 }, (_, i) => `concurrent ${i}`);
      const texts = await Promise.all(
        prompts.map(async (p) => {
          const out = await client.send(
            new ConverseStreamCommand({
              modelId: MODEL,
              messages: [{ role: 'user', content: [{ text: p }] }],
            }),
          );
          return (await collectConverse(out.stream)).text;
        }),
      );
      expect(texts).toEqual(prompts.map((p) => deterministicAnswer(p, { outputTokens: 4 }).text));
    } finally {
      client.destroy();
    }
  });
});
