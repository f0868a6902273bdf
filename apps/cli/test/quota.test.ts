import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runAsk } from '../src/index.js';

// bedrock-ask against a stack with a per-user concurrency quota of 1.
let stack: LocalStack;
let configPath: string;

beforeAll(async () => {
  stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 10, tokensPerSecond: 200, outputTokens: 20 },
    quotas: { concurrentStreamsPerOwner: 1 },
  });
  configPath = join(mkdtempSync(join(tmpdir(), 'ask-quota-')), 'stack.json');
  writeFileSync(configPath, JSON.stringify(stack.config));
});
afterAll(async () => {
  await stack?.stop();
});

function buffers() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: {} },
  };
}

describe('bedrock-ask under quotas', () => {
  it('prints a refused start with its limit and when to retry, and exits 3', async () => {
    const first = buffers();
    let started!: () => void;
    const textSeen = new Promise<void>((r) => (started = r));
    const running = runAsk(['--config', configPath, 'a long one [[tokens:300]]'], {
      ...first.io,
      stdout: (t: string) => {
        first.out.push(t);
        started();
      },
    });
    await textSeen;
    const second = buffers();
    expect(await runAsk(['--config', configPath, 'and another'], second.io)).toBe(EXIT.quota);
    expect(second.err.join('')).toBe(
      'bedrock-ask: quota concurrentStreamsPerOwner exceeded (1 of 1); retry in 5 s\n',
    );
    expect(await running).toBe(EXIT.ok);
  });

  it('--usage prints today’s usage and the quotas in force', async () => {
    // The ledger is written when the worker records the end, just after the end event.
    let text = '';
    for (let i = 0; i < 100 && !text.includes(': 1 streams'); i += 1) {
      const b = buffers();
      expect(await runAsk(['--config', configPath, '--usage'], b.io)).toBe(EXIT.ok);
      text = b.out.join('');
      if (!text.includes(': 1 streams')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(text).toMatch(
      /^usage \d{4}-\d{2}-\d{2} \(UTC\) for apikey: 1 streams, \d+ input \/ 300 output tokens\n/,
    );
    expect(text).toContain(`  ${stack.config.defaultModelId}: 1 streams`);
    expect(text).toContain('quotas: concurrentStreamsPerOwner 1');
  });
});
