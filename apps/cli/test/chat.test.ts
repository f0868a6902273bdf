/**
 * `bedrock-ask --chat`, driven as a user would: the real bin in a child process, lines
 * written to its stdin, SIGINT sent mid-answer, against the real local stack (conversation
 * resolvers, worker, deterministic Bedrock endpoint, dynalite).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStreamClient, type StreamClient } from '@org/bedrock-stream-client';
import { startLocalStack, type LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runAsk } from '../src/index.js';

let stack: LocalStack;
let configPath: string;
let client: StreamClient;
const bin = fileURLToPath(new URL('../bin/bedrock-ask.js', import.meta.url));

beforeAll(async () => {
  stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 10, tokensPerSecond: 300, outputTokens: 20 },
    // The deterministic server tools (get_weather, ...), so an answer calls one.
    worker: { demoTools: true },
  });
  configPath = join(mkdtempSync(join(tmpdir(), 'ask-chat-')), 'stack.json');
  writeFileSync(configPath, JSON.stringify(stack.config));
  client = createStreamClient({
    url: stack.config.graphqlUrl,
    region: stack.config.region,
    auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
  });
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

/** The stored history once the worker wrote the last answer (it stores it after the end chunk). */
async function storedSettled(conversationId: string) {
  for (let i = 0; ; i++) {
    const stored = await client.conversations.allMessages(conversationId);
    if (stored.at(-1)?.status !== 'STREAMING' || i > 100) return stored;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running `bedrock-ask` with helpers to wait for its output. */
class Session {
  readonly child: ChildProcessWithoutNullStreams;
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [bin, '--config', configPath, ...args], {
      env: { ...process.env, ...env },
    });
    this.child.stdout.on('data', (d: Buffer) => this.grow(() => (this.out += d.toString())));
    this.child.stderr.on('data', (d: Buffer) => this.grow(() => (this.err += d.toString())));
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }

  private grow(add: () => void) {
    add();
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `test` holds for the output so far. */
  async until(test: (s: Session) => boolean): Promise<void> {
    while (!test(this)) await new Promise<void>((r) => this.waiters.push(r));
  }

  prompts(): number {
    return this.out.split('you> ').length - 1;
  }

  send(line: string) {
    this.child.stdin.write(`${line}\n`);
  }

  conversationId(): string {
    return /conversation (\S+) \(continue/.exec(this.err)![1]!;
  }
}

describe('bedrock-ask --chat', () => {
  it('holds a multi-turn conversation; Ctrl-C stops the answer, not the session', async () => {
    stack.bedrock!.setTiming({ tokensPerSecond: 60 });
    try {
      const s = new Session(['--chat']);
      await s.until((x) => x.prompts() === 1);
      s.send('Why is the sky blue?');
      await s.until((x) => x.prompts() === 2);
      s.send('Tell me a long story. [[tokens:400]]');
      const before = s.out.length;
      await s.until((x) => x.out.length > before + 20);
      s.child.kill('SIGINT');
      await s.until((x) => x.prompts() === 3);
      // stderr is its own pipe: it may arrive after the prompt on stdout.
      await s.until((x) => x.err.includes('[stopped]'));
      s.send('/exit');
      expect(await s.exited).toBe(EXIT.ok);

      const stored = await storedSettled(s.conversationId());
      expect(stored.map((m) => [m.role, m.status])).toEqual([
        ['user', 'COMPLETE'],
        ['assistant', 'COMPLETE'],
        ['user', 'COMPLETE'],
        ['assistant', 'STOPPED'],
      ]);
      const answerText = (i: number) =>
        stored[i]!.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
      // Everything printed is what the server stored, the stopped answer's partial text too.
      expect(s.out).toContain(answerText(1));
      expect(answerText(3).length).toBeGreaterThan(0);
    } finally {
      stack.bedrock!.setTiming({ tokensPerSecond: 300 });
    }
  }, 40_000);

  it('--conversation continues one: prints the history, the next answer knows it', async () => {
    const first = new Session(['--chat', 'Hello there']);
    await first.until((x) => x.prompts() === 1);
    first.child.stdin.end();
    expect(await first.exited).toBe(EXIT.ok);
    const id = first.conversationId();

    const second = new Session(['--conversation', id]);
    await second.until((x) => x.prompts() >= 2);
    expect(second.out).toMatch(/^you> Hello there\n\S.*\nyou> $/s);
    second.send('And again');
    await second.until((x) => x.prompts() === 3);
    second.send('/exit');
    expect(await second.exited).toBe(EXIT.ok);
    const stored = await storedSettled(id);
    expect(stored).toHaveLength(4);
    expect(stored.every((m) => m.status === 'COMPLETE')).toBe(true);
  }, 30_000);

  it('dims reasoning and shows tool calls', async () => {
    const thinkingModel = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0';
    const s = new Session(
      ['--chat', '--model', thinkingModel, '--thinking', '1024', '--max-tokens', '2000'],
      {
        FORCE_COLOR: '1',
      },
    );
    await s.until((x) => x.prompts() === 1);
    s.send('Think first: what does get_weather say for Paris?');
    await s.until((x) => x.prompts() === 2);
    s.send('/exit');
    expect(await s.exited).toBe(EXIT.ok);
    // Reasoning dimmed, then the server tool's call and its result on their own lines.
    expect(s.out).toMatch(/\x1b\[2m[^\x1b]+\x1b\[22m\n/);
    expect(s.out).toMatch(/\n\[tool get_weather \{.*\}\]\n\[tool get_weather -> \{.*\}\]\n/);
  }, 30_000);

  it('answers bad flags and an unknown conversation with clear messages', async () => {
    for (const [argv, message] of [
      [['--chat', '--json'], /--json does not combine with --chat/],
      [['--chat', '--usage'], /--usage does not combine with --chat/],
      [['--conversation', 'not an id!'], /--conversation: must be a conversation id/],
      [['--chat', '--thinking', '12'], /--thinking: must be a whole number from 1024/],
      [
        ['--chat', '--thinking', '2048', '--max-tokens', '1000'],
        /--max-tokens must be above --thinking/,
      ],
    ] as const) {
      const out: string[] = [];
      const err: string[] = [];
      const io = {
        stdout: (t: string) => out.push(t),
        stderr: (t: string) => err.push(t),
        env: {},
      };
      expect(await runAsk(['--config', configPath, ...argv], io), argv.join(' ')).toBe(EXIT.usage);
      expect(err.join(''), argv.join(' ')).toMatch(message);
      expect(err.join('')).toMatch(/\nusage:/);
    }
    const s = new Session(['--conversation', '00000000-0000-4000-8000-000000000000']);
    expect(await s.exited).toBe(EXIT.streamError);
    expect(s.err).toMatch(/no conversation 00000000-0000-4000-8000-000000000000/);
  }, 30_000);
});
