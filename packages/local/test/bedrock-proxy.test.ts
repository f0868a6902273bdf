import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
  ModelErrorException,
  ModelStreamErrorException,
  ThrottlingException,
  type BedrockRuntimeClient,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBedrockServer, type BedrockServer } from '../src/index.js';
import {
  anthropicBody,
  collectConverse,
  collectInvoke,
  rejection,
  sdkClient,
  waitFor,
} from './bedrock-helpers.js';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const PIECES = ['Hello', ' from', ' the', ' proxy', '.'];

interface Seen {
  model: string;
  messages: Array<{ role: string; content: string }>;
  max_tokens?: number;
  stream: boolean;
}

/** A tiny OpenAI-compatible chat-completions server streaming SSE, enough to test the relay. */
async function startFixture(): Promise<{
  url: string;
  seen: Seen[];
  closed: () => number;
  server: Server;
}> {
  const seen: Seen[] = [];
  let closedEarly = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as Seen;
      seen.push(body);
      if (req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      if (body.model === 'busy') {
        res.writeHead(429, { 'content-type': 'application/json' }).end('{"error":"rate"}');
        return;
      }
      if (body.model === 'broken') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const limit = Math.min(
        body.max_tokens ?? Infinity,
        body.model === 'endless' ? 10_000 : PIECES.length,
      );
      let i = 0;
      const send = (obj: unknown): void => {
        res.write(`data: ${JSON.stringify(obj)}\n\n`);
      };
      send({ choices: [{ index: 0, delta: { role: 'assistant' } }] });
      const timer = setInterval(() => {
        if (i < limit) {
          send({ choices: [{ index: 0, delta: { content: PIECES[i % PIECES.length] } }] });
          i++;
          return;
        }
        clearInterval(timer);
        const truncated = body.max_tokens !== undefined && body.max_tokens < PIECES.length;
        send({ choices: [{ index: 0, delta: {}, finish_reason: truncated ? 'length' : 'stop' }] });
        send({ choices: [], usage: { prompt_tokens: 11, completion_tokens: limit } });
        res.write('data: [DONE]\n\n');
        res.end();
      }, 5);
      res.on('close', () => {
        if (!res.writableEnded) closedEarly++;
        clearInterval(timer);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, seen, closed: () => closedEarly, server };
}

describe('bedrock endpoint: OpenAI-compatible proxy backend', () => {
  let fixture: Awaited<ReturnType<typeof startFixture>>;
  let bedrock: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    fixture = await startFixture();
    bedrock = await startBedrockServer({
      port: 0,
      modelIds: [MODEL, 'local.busy', 'local.broken', 'local.endless'],
      proxy: {
        baseUrl: fixture.url,
        model: (id) => (id.startsWith('local.') ? id.slice('local.'.length) : 'llama3'),
      },
    });
    client = sdkClient(bedrock.url);
  });
  afterAll(async () => {
    client.destroy();
    await bedrock.close();
    fixture.server.closeAllConnections();
    await new Promise((r) => fixture.server.close(r));
  });

  it('relays streamed deltas as ConverseStream events with upstream usage', async () => {
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: MODEL,
        system: [{ text: 'Be nice.' }],
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      }),
    );
    const { events, text } = await collectConverse(out.stream);
    expect(text).toBe(PIECES.join(''));
    expect(events.filter((e) => e.contentBlockDelta)).toHaveLength(PIECES.length);
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('end_turn');
    expect(events.at(-1)?.metadata?.usage).toEqual({
      inputTokens: 11,
      outputTokens: 5,
      totalTokens: 16,
    });
    const req = fixture.seen.at(-1);
    expect(req?.model).toBe('llama3');
    expect(req?.stream).toBe(true);
    expect(req?.messages).toEqual([
      { role: 'system', content: 'Be nice.' },
      { role: 'user', content: 'Hi' },
    ]);
  });

  it('maps finish_reason length to max_tokens (InvokeModelWithResponseStream and Converse)', async () => {
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: anthropicBody('Hi', 2) }),
    );
    const { events, text } = await collectInvoke(out.body);
    expect(text).toBe('Hello from');
    expect((events.at(-2)?.delta as { stop_reason: string }).stop_reason).toBe('max_tokens');
    const conv = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
        inferenceConfig: { maxTokens: 3 },
      }),
    );
    expect(conv.stopReason).toBe('max_tokens');
    expect(conv.output?.message?.content?.[0]?.text).toBe('Hello from the');
  });

  it('upstream HTTP errors become AWS errors; faults still apply to proxied streams', async () => {
    const busy = await rejection(
      client.send(
        new ConverseCommand({
          modelId: 'local.busy',
          messages: [{ role: 'user', content: [{ text: 'x' }] }],
        }),
      ),
    );
    expect(busy).toBeInstanceOf(ThrottlingException);
    const broken = await rejection(
      client.send(
        new ConverseCommand({
          modelId: 'local.broken',
          messages: [{ role: 'user', content: [{ text: 'x' }] }],
        }),
      ),
    );
    expect(broken).toBeInstanceOf(ModelErrorException);
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: 'x [[fault:mid-stream-error:after=2]]' }] }],
      }),
    );
    expect(await rejection(collectConverse(out.stream))).toBeInstanceOf(ModelStreamErrorException);
  });

  it('a client abort closes the upstream request too', async () => {
    const before = fixture.closed();
    const abort = new AbortController();
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: 'local.endless',
        messages: [{ role: 'user', content: [{ text: 'go' }] }],
      }),
      { abortSignal: abort.signal },
    );
    let deltas = 0;
    await (async () => {
      for await (const ev of out.stream ?? []) {
        if (ev.contentBlockDelta) deltas++;
        if (deltas === 3) abort.abort();
      }
    })().catch(() => undefined);
    await waitFor(() => fixture.closed() > before);
    await waitFor(() => bedrock.stats().recent.at(-1)?.outcome === 'aborted');
  });
});
