/**
 * Issue 17: clients that only dial `wss://` (Amplify JS v6 rewrites even `http://` to it)
 * and other https clients, against the stack's TLS endpoint. Each client runs in its own
 * Node process that trusts the local CA through NODE_EXTRA_CA_CERTS, as a user's app does
 * (the README's instructions); nothing disables certificate verification.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deterministicAnswer } from '@org/bedrock-stream-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../src/index.js';
import { assemble, eventually } from './helpers.js';

const OUTPUT_TOKENS = 60;
const tlsDir = mkdtempSync(join(tmpdir(), 'bedrock-stream-tls-clients-'));
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    stateFile: false,
    tls: { dir: tlsDir, port: 0 },
    model: { timeToFirstTokenMs: 10, tokensPerSecond: 400, outputTokens: OUTPUT_TOKENS },
  });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(tlsDir, { recursive: true, force: true });
});

interface Chunk {
  streamId: string;
  attempt: number;
  seq: number;
  payload: string;
}
type Outcome = { started: unknown; chunks: Chunk[] } | { error: string };

/** Runs a client script from fixtures/ on a new stream; its one JSON line. */
function runClient(
  script: 'amplify-stream.mjs' | 'apollo-stream.mjs',
  options: { authMode: 'apiKey' | 'oidc'; jwt?: string; prompt: string },
): Promise<{ streamId: string; outcome: Outcome }> {
  const streamId = randomUUID();
  const input = {
    graphqlUrl: stack.config.httpsGraphqlUrl,
    region: stack.config.region,
    apiKey: stack.config.apiKey,
    authMode: options.authMode,
    jwt: options.jwt,
    streamId,
    modelId: stack.config.defaultModelId,
    prompt: options.prompt,
  };
  const env: NodeJS.ProcessEnv = { ...process.env, STREAM_CLIENT_INPUT: JSON.stringify(input) };
  env['NODE_EXTRA_CA_CERTS'] = stack.config.caFile!;
  const subscriptionsBefore = stack.emulator.stats().subscriptions;
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url))],
    { env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  // Scripts that cannot see their subscription's start_ack wait for this go-ahead.
  void eventually(
    async () => stack.emulator.stats().subscriptions > subscriptionsBefore,
    20_000,
    'the subscription',
  ).then(
    () => child.stdin.end('go\n'),
    () => undefined,
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve({ streamId, outcome: JSON.parse(line) as Outcome });
      } catch {
        reject(new Error(`${script} exited ${code} without a result: ${stdout}\n${stderr}`));
      }
    }),
  );
}

/** Every chunk of one attempt, in order, and its text is the deterministic answer. */
function expectWholeAnswer(outcome: Outcome, streamId: string, prompt: string) {
  if ('error' in outcome) throw new Error(outcome.error);
  const { chunks } = outcome;
  expect(chunks.every((c) => c.streamId === streamId)).toBe(true);
  expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
  const { text, events } = assemble(chunks);
  expect(events.at(-1)).toMatchObject({ type: 'end', stopReason: 'end_turn' });
  expect(text).toBe(
    deterministicAnswer(prompt, {
      modelId: stack.config.defaultModelId,
      outputTokens: OUTPUT_TOKENS,
    }).text,
  );
}

describe('the stack over TLS', () => {
  it('serves https and wss URLs from a CA file, beside the plain ones', () => {
    const { config } = stack;
    expect(config.httpsGraphqlUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(config.wssRealtimeUrl).toBe(
      `${config.httpsGraphqlUrl!.replace('https://', 'wss://')}/realtime`,
    );
    expect(config.caFile).toBe(join(tlsDir, 'ca.pem'));
    expect(config.graphqlUrl).toMatch(/^http:\/\//);
  });

  it('Amplify JS v6 with an API key: subscribes, starts a stream and receives every chunk', async () => {
    const prompt = 'Amplify over TLS, API key.';
    const { streamId, outcome } = await runClient('amplify-stream.mjs', {
      authMode: 'apiKey',
      prompt,
    });
    expectWholeAnswer(outcome, streamId, prompt);
    expect(outcome).toMatchObject({ started: { startStream: { streamId } } });
  }, 40_000);

  it('Amplify JS v6 with OIDC (the stack’s JWT as the token): the owner receives every chunk', async () => {
    const prompt = 'Amplify over TLS, OIDC.';
    const jwt = await stack.issueJwt('amplify-user');
    const { streamId, outcome } = await runClient('amplify-stream.mjs', {
      authMode: 'oidc',
      jwt,
      prompt,
    });
    expectWholeAnswer(outcome, streamId, prompt);
  }, 40_000);

  it('Apollo with the AppSync links over https/wss receives every chunk', async () => {
    const prompt = 'Apollo over TLS.';
    const { streamId, outcome } = await runClient('apollo-stream.mjs', {
      authMode: 'apiKey',
      prompt,
    });
    expectWholeAnswer(outcome, streamId, prompt);
  }, 40_000);

  it('comes back on the same TLS port when AppSync restarts', async () => {
    const before = stack.emulator.tls!;
    await stack.restartAppSync();
    expect(stack.emulator.tls).toEqual(before);
    const { streamId, outcome } = await runClient('amplify-stream.mjs', {
      authMode: 'apiKey',
      prompt: 'after a restart',
    });
    expectWholeAnswer(outcome, streamId, 'after a restart');
  }, 40_000);

  it('keeps verification on: a client that does not trust the local CA is refused', async () => {
    // This process was started without NODE_EXTRA_CA_CERTS.
    const refused = await fetch(stack.config.httpsGraphqlUrl!, { method: 'POST' }).catch(
      (error: Error) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect(((refused as Error).cause as { code?: string }).code).toBe(
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
  });
});
