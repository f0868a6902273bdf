import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicAnswer, startBedrockServer, type BedrockServer } from '../src/index.js';
import { collectConverse, rejection, sdkClient } from './bedrock-helpers.js';

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

describe('bedrock endpoint: optional SigV4 verification', () => {
  it('accepts the SDK signature with the right secret and rejects others with 403', async () => {
    const server = await startBedrockServer({
      port: 0,
      outputTokens: 3,
      verifySigV4: { credentials: [{ accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }] },
    });
    const good = sdkClient(server.url);
    const wrongSecret = new BedrockRuntimeClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'nope' },
      maxAttempts: 1,
    });
    const unknownKey = new BedrockRuntimeClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'local-secret' },
      maxAttempts: 1,
    });
    const cmd = (): ConverseStreamCommand =>
      new ConverseStreamCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: 'signed' }] }],
      });
    try {
      const out = await good.send(cmd());
      expect((await collectConverse(out.stream)).text).toBe(
        deterministicAnswer('signed', { outputTokens: 3 }).text,
      );
      const bad = await rejection(wrongSecret.send(cmd()));
      expect(bad.name).toBe('InvalidSignatureException');
      expect((bad.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(403);
      const unknown = await rejection(unknownKey.send(cmd()));
      expect(unknown.name).toBe('UnrecognizedClientException');
      const unsigned = await fetch(`${server.url}/model/${MODEL}/converse`, {
        method: 'POST',
        body: '{}',
      });
      expect(unsigned.status).toBe(403);
      expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    } finally {
      good.destroy();
      wrongSecret.destroy();
      unknownKey.destroy();
      await server.close();
    }
  });
});
