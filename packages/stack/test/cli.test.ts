/**
 * The `bedrock-stream-local` command as a user runs it: a real child process on
 * ephemeral ports, its one ready line, the state file, persistence with --data-dir,
 * clean shutdown on SIGTERM/SIGINT, and clear errors for bad flags.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { deterministicAnswer } from '@org/bedrock-stream-local';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadyConfigSchema, readLocalStackConfig, type ReadyConfig } from '../src/index.js';
import { CHUNKS, GET, START, assemble, eventually, gql } from './helpers.js';

const bin = fileURLToPath(new URL('../bin/bedrock-stream-local.js', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

const EPHEMERAL = ['--port', '0', '--bedrock-port', '0', '--dynamodb-port', '0', '--no-web'];
const MODEL = ['--ttft', '0', '--tps', '2000', '--output-tokens', '12'];

function run(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const firstLine = new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
  });
  // Only some tests wait for a line; the rest must not leave an unhandled rejection.
  firstLine.catch(() => undefined);
  return { child, exited, firstLine, stderr: () => stderr };
}

async function startCli(
  args: string[],
): Promise<{ proc: ReturnType<typeof run>; line: string; config: ReadyConfig }> {
  const proc = run([...EPHEMERAL, ...MODEL, ...args]);
  const line = await proc.firstLine;
  expect(line.startsWith('{"ready":true')).toBe(true);
  return { proc, line, config: ReadyConfigSchema.parse(JSON.parse(line)) };
}

/** GETs `url` trusting only the CA in `caFile`; the JSON answer. */
function getTrusting(caFile: string, url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: readFileSync(caFile, 'utf8') }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end();
  });
}

async function completedStream(config: ReadyConfig, prompt: string) {
  const headers = { 'x-api-key': config.apiKey };
  const streamId = randomUUID();
  const started = await gql(config.graphqlUrl, headers, START, {
    input: { streamId, modelId: config.defaultModelId, prompt },
  });
  expect(started.errors).toBeUndefined();
  const record = await eventually(
    async () => {
      const res = await gql(config.graphqlUrl, headers, GET, { streamId });
      const r = res.data?.['getStream'] as { status: string } | null;
      return r && r.status !== 'ACCEPTED' && r.status !== 'RUNNING' ? r : null;
    },
    20_000,
    'stream to finish',
  );
  return { streamId, record };
}

describe('bedrock-stream-local CLI', () => {
  it('prints one ready line, writes the state file, persists with --data-dir, stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-cli-'));
    const stateFile = join(dir, 'state', 'local-stack.json');
    const dataDir = join(dir, 'data');
    const prompt = 'Persist me.';

    const tlsDir = join(dir, 'tls');
    const first = await startCli([
      ...['--state-file', stateFile, '--data-dir', dataDir],
      ...['--tls-port', '0', '--tls-dir', tlsDir],
    ]);
    const { config } = first;
    expect(config).toMatchObject({
      ready: true,
      region: 'us-east-1',
      graphqlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/),
      realtimeUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/graphql\/realtime$/),
      bedrockEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+/),
      dynamodbEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      webUrl: null,
      httpsGraphqlUrl: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/graphql$/),
      wssRealtimeUrl: expect.stringMatching(/^wss:\/\/127\.0\.0\.1:\d+\/graphql\/realtime$/),
      caFile: join(tlsDir, 'ca.pem'),
    });
    expect(readFileSync(stateFile, 'utf8')).toBe(`${first.line}\n`);
    // The HTTPS endpoint answers a client that trusts the CA file.
    expect(await getTrusting(config.caFile!, config.httpsGraphqlUrl!)).toMatchObject({
      service: 'appsync-local',
      graphqlUrl: config.httpsGraphqlUrl,
    });
    expect(readLocalStackConfig(stateFile)).toEqual(config);

    const { streamId, record } = await completedStream(config, prompt);
    expect(record).toMatchObject({ status: 'COMPLETED' });
    const chunks = await gql(config.graphqlUrl, { 'x-api-key': config.apiKey }, CHUNKS, {
      streamId,
    });
    const items = (
      chunks.data?.['streamChunks'] as {
        items: Array<{ attempt: number; seq: number; payload: string }>;
      }
    ).items;
    expect(assemble(items).text).toBe(
      deterministicAnswer(prompt, { modelId: config.defaultModelId, outputTokens: 12 }).text,
    );

    first.proc.child.kill('SIGTERM');
    expect(await first.proc.exited).toBe(0);
    expect(existsSync(stateFile)).toBe(false);
    await expect(fetch(config.graphqlUrl, { method: 'POST' })).rejects.toThrow();

    // Restarted on the same data dir: the stream record and its chunks are still there.
    const second = await startCli(['--no-state-file', '--data-dir', dataDir, '--no-tls']);
    expect(second.config).toMatchObject({
      httpsGraphqlUrl: null,
      wssRealtimeUrl: null,
      caFile: null,
    });
    const headers = { 'x-api-key': second.config.apiKey };
    const again = await gql(second.config.graphqlUrl, headers, GET, { streamId });
    expect(again.data?.['getStream']).toMatchObject({ streamId, status: 'COMPLETED' });
    second.proc.child.kill('SIGINT');
    expect(await second.proc.exited).toBe(0);
  });

  it.each([
    [['--port', 'abc'], /--port: /],
    [['--bedrock', 'openai'], /--openai-url/],
    [['--bedrock', 'aws'], /--bedrock aws needs --region/],
    [['--bedrock', 'gcp'], /--bedrock: /],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['--no-web', '--web-dir', '/tmp'], /conflicts with --no-web/],
    [['--web-dir', '/definitely/not/here'], /is not a directory/],
    [['--tps', '0'], /--tps: /],
    [['--no-tls', '--tls-port', '4443'], /--tls-port: conflicts with --no-tls/],
    [['--no-tls', '--web-https'], /--web-https: conflicts with --no-tls/],
  ])('rejects %j with exit code 2 and a clear message', async (args, message) => {
    const proc = run(args);
    expect(await proc.exited).toBe(2);
    expect(proc.stderr()).toMatch(message);
    expect(proc.stderr()).toContain('usage: bedrock-stream-local');
  });

  it('--help prints the usage and exits 0', async () => {
    const proc = run(['--help']);
    const line = await proc.firstLine;
    expect(line).toContain('usage: bedrock-stream-local');
    expect(await proc.exited).toBe(0);
  });
});

describe('readLocalStackConfig', () => {
  it('names the file and the problem when it is missing or invalid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-config-'));
    expect(() => readLocalStackConfig(join(dir, 'missing.json'))).toThrow(/start the stack first/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ready: true }));
    expect(() => readLocalStackConfig(bad)).toThrow(/bad\.json is not a local stack config/);
    writeFileSync(bad, 'not json');
    expect(() => readLocalStackConfig(bad)).toThrow(/bad\.json/);
  });
});
