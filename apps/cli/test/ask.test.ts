import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { deterministicAnswer } from '@org/bedrock-stream-local';
import { startLocalStack, type LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runAsk } from '../src/index.js';

let stack: LocalStack;
let configPath: string;

beforeAll(async () => {
  stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 10, tokensPerSecond: 300, outputTokens: 40 },
  });
  configPath = join(mkdtempSync(join(tmpdir(), 'ask-')), 'stack.json');
  writeFileSync(configPath, JSON.stringify(stack.config));
});
afterAll(async () => {
  await stack?.stop();
});

function buffers(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env },
  };
}

describe('bedrock-ask', () => {
  it('streams the deterministic answer as it arrives', async () => {
    const b = buffers();
    const code = await runAsk(['--config', configPath, 'Why is the sky blue?'], b.io);
    expect(code).toBe(EXIT.ok);
    const expected = deterministicAnswer('Why is the sky blue?', {
      modelId: stack.config.defaultModelId,
      outputTokens: 40,
    }).text;
    expect(b.out.join('')).toBe(`${expected}\n`);
    expect(b.out.length).toBeGreaterThan(1);
  });

  it('prints events as JSON lines ending with the end event', async () => {
    const b = buffers();
    expect(await runAsk(['--config', configPath, '--json', 'hello'], b.io)).toBe(EXIT.ok);
    const events = b.out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; status?: string });
    expect(events.some((e) => e.type === 'text')).toBe(true);
    expect(events[0]).toMatchObject({ type: 'stream', streamId: expect.any(String) });
    expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
  });

  it('answers bad flags and a missing config with exit 2 and a message', async () => {
    for (const argv of [
      ['--max-tokens', '-3', 'x'],
      ['--max-tokens', 'many', 'x'],
      ['--bogus', 'x'],
      ['--config', configPath],
      ['--config', '/nonexistent.json', 'x'],
      ['--url', 'not a url', '--api-key', 'k', 'x'],
      // Without --api-key the config file is still needed, and $BEDROCK_STREAM_CONFIG is missing.
      ['--url', 'http://x/graphql', 'x'],
      ['--config', configPath, '--model', 'no.such-model', 'x'],
    ]) {
      const b = buffers({ BEDROCK_STREAM_CONFIG: '/nonexistent.json' });
      expect(await runAsk(argv, b.io), argv.join(' ')).toBe(EXIT.usage);
      expect(b.err.join(''), argv.join(' ')).toMatch(/^bedrock-ask: [\s\S]+\nusage:/);
      expect(b.out).toEqual([]);
    }
    const b = buffers();
    await runAsk(['--config', configPath, '--model', 'no.such-model', 'x'], b.io);
    expect(b.err.join('')).toContain(stack.config.allowedModelIds[0]);
  });

  it('prints the usage for --help and exits 0', async () => {
    const b = buffers();
    expect(await runAsk(['--help'], b.io)).toBe(EXIT.ok);
    expect(b.out.join('')).toMatch(/^usage: bedrock-ask/);
    expect(b.out.join('')).toMatch(/130 cancelled/);
  });

  it('finds the config through $BEDROCK_STREAM_CONFIG and takes flag overrides', async () => {
    const b = buffers({ BEDROCK_STREAM_CONFIG: configPath });
    const model = stack.config.allowedModelIds.at(-1)!;
    expect(await runAsk(['--model', model, '--max-tokens', '5', 'hi'], b.io)).toBe(EXIT.ok);
    expect(b.out.join('')).toBe(
      `${deterministicAnswer('hi', { modelId: model, maxTokens: 5 }).text}\n`,
    );
    // --url and --api-key alone reach a deployed API without any config file.
    const direct = buffers({ BEDROCK_STREAM_CONFIG: '/nonexistent.json' });
    const argv = ['--url', stack.config.graphqlUrl, '--api-key', stack.config.apiKey];
    expect(await runAsk([...argv, '--json', 'hi'], direct.io)).toBe(EXIT.ok);
    expect(direct.out.join('')).toContain('"type":"end"');
  });

  it('exits 1 with a readable message when the stream fails', async () => {
    const b = buffers();
    expect(
      await runAsk(['--config', configPath, 'fail please [[fault:access-denied]]'], b.io),
    ).toBe(EXIT.streamError);
    expect(b.err.join('')).toMatch(/bedrock-ask: .*AccessDenied|bedrock-ask: .*access/i);
  });

  it('cancels server-side on Ctrl-C: exit 130 and the record is CANCELLED', async () => {
    stack.bedrock!.setTiming({ tokensPerSecond: 30 });
    try {
      const bin = fileURLToPath(new URL('../bin/bedrock-ask.js', import.meta.url));
      const child = spawn(
        process.execPath,
        [bin, '--config', configPath, '--json', 'a long one [[tokens:400]]'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('"type":"text"') && !child.killed) child.kill('SIGINT');
      });
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(EXIT.cancelled);
      const streamId = (JSON.parse(output.split('\n')[0]!) as { streamId: string }).streamId;
      const ddb = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: stack.config.dynamodbEndpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      const deadline = Date.now() + 10_000;
      let status = '';
      while (Date.now() < deadline) {
        const item = await ddb.send(
          new GetItemCommand({
            TableName: stack.config.tableName,
            Key: { pk: { S: `STREAM#${streamId}` }, sk: { S: 'META' } },
          }),
        );
        status = item.Item?.['status']?.S ?? '';
        if (status === 'CANCELLED') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe('CANCELLED');
      ddb.destroy();
    } finally {
      stack.bedrock!.setTiming({ tokensPerSecond: 300 });
    }
  }, 30_000);
});
