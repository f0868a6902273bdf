import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPublisher, PublishError, SupersededError } from '../src/publisher.js';

const env = {
  GRAPHQL_URL: 'http://127.0.0.1:4000/graphql',
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 't',
  ALLOWED_MODEL_IDS: 'a, b',
};

describe('loadConfig', () => {
  it('applies defaults', () => {
    expect(loadConfig(env)).toMatchObject({
      allowedModelIds: ['a', 'b'],
      flushWindowMs: 100,
      maxAttempts: 3,
      metricsEnabled: true,
    });
    expect(loadConfig({ ...env, METRICS_ENABLED: 'false' }).metricsEnabled).toBe(false);
    expect(() => loadConfig({ ...env, METRICS_ENABLED: 'yes' })).toThrow(/METRICS_ENABLED/);
  });
  it('holds the run’s timings and both retry policies, with today’s defaults', () => {
    expect(loadConfig(env)).toMatchObject({
      leaseMs: 30_000,
      cancelPollMs: 250,
      stallTimeoutMs: 60_000,
      deadlineMargin: { minMs: 250, maxMs: 5_000 },
      modelRetry: { maxTries: 4, initialDelayMs: 200 },
      publishRetry: { maxTries: 8, initialDelayMs: 100 },
    });
    expect(loadConfig({ ...env, MODEL_MAX_TRIES: '1' }).modelRetry.maxTries).toBe(1);
    expect(() =>
      loadConfig({ ...env, DEADLINE_MARGIN_MIN_MS: '900', DEADLINE_MARGIN_MAX_MS: '500' }),
    ).toThrow(/DEADLINE_MARGIN_MAX_MS/);
  });
  it('reads the tool, step and guardrail settings', () => {
    expect(loadConfig(env)).toMatchObject({ toolTimeoutMs: 10_000, maxSteps: 5, guardrail: null });
    expect(
      loadConfig({
        ...env,
        TOOL_TIMEOUT_MS: '2000',
        MAX_STEPS: '8',
        GUARDRAIL_ID: 'gr-1',
        GUARDRAIL_STREAM_MODE: 'async',
        GUARDRAIL_TRACE: 'enabled',
      }),
    ).toMatchObject({
      toolTimeoutMs: 2_000,
      maxSteps: 8,
      guardrail: { id: 'gr-1', version: 'DRAFT', streamMode: 'async', trace: 'enabled' },
    });
    expect(() => loadConfig({ ...env, MAX_STEPS: '26' })).toThrow(/MAX_STEPS/);
    expect(() => loadConfig({ ...env, GUARDRAIL_STREAM_MODE: 'later' })).toThrow(
      /GUARDRAIL_STREAM_MODE/,
    );
  });
  it('accepts every log level in any case and rejects another, naming the allowed ones', () => {
    for (const level of ['debug', 'INFO', 'Warn', 'error', 'SILENT']) {
      expect(() => loadConfig({ ...env, LOG_LEVEL: level })).not.toThrow();
    }
    expect(() => loadConfig({ ...env, LOG_LEVEL: 'verbose' })).toThrow(
      /LOG_LEVEL.*DEBUG, INFO, WARN, ERROR, SILENT/,
    );
  });
  it('names every bad or missing variable', () => {
    expect(() =>
      loadConfig({ ...env, GRAPHQL_URL: 'nope', FLUSH_WINDOW_MS: '-5', TABLE_NAME: undefined }),
    ).toThrow(/GRAPHQL_URL.*TABLE_NAME.*FLUSH_WINDOW_MS: must be an integer from 0 to 5000/);
    expect(() => loadConfig({})).toThrow(/invalid worker configuration/);
  });
  it('takes http(s) URLs only, for the GraphQL URL and the endpoints', () => {
    expect(loadConfig({ ...env, BEDROCK_ENDPOINT: 'https://bedrock.local:8443' })).toMatchObject({
      bedrockEndpoint: 'https://bedrock.local:8443',
    });
    expect(() => loadConfig({ ...env, GRAPHQL_URL: 'ftp://example.com/graphql' })).toThrow(
      /GRAPHQL_URL: GRAPHQL_URL must be the AppSync GraphQL URL/,
    );
    expect(() => loadConfig({ ...env, DYNAMODB_ENDPOINT: 'localhost:8000' })).toThrow(
      /DYNAMODB_ENDPOINT: must be an http\(s\) URL/,
    );
  });
  it('reads an integer variable as decimal digits within its bounds, and nothing else', () => {
    expect(loadConfig({ ...env, FLUSH_WINDOW_MS: '0', LEASE_MS: '900000' })).toMatchObject({
      flushWindowMs: 0,
      leaseMs: 900_000,
    });
    // Number('') is 0 and Number('1e3') is 1000: neither is taken for a value silently.
    for (const text of ['', ' ', '1e3', '1.5', '12ms', '0x10'])
      expect(() => loadConfig({ ...env, MAX_CHUNK_BYTES: text })).toThrow(
        /MAX_CHUNK_BYTES: must be an integer/,
      );
    expect(() => loadConfig({ ...env, MAX_CHUNK_BYTES: '63', CANCEL_POLL_MS: '501' })).toThrow(
      /MAX_CHUNK_BYTES: must be an integer from 64 to 32768 \(got 63\).*CANCEL_POLL_MS: must be an integer from 20 to 500 \(got 501\)/,
    );
  });
});

// A stand-in for AppSync's HTTP answers (failures on demand); the real emulator is
// exercised end to end in packages/stack.
let close: (() => void) | null = null;
afterEach(() => close?.());

async function fakeAppSync(answers: Array<{ status: number; body: unknown }>) {
  const seen: Array<{ authorization: string; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ authorization: String(req.headers['authorization']), body });
      const answer = answers.shift() ?? {
        status: 200,
        body: { data: { publishChunk: { seq: 0 } } },
      };
      res
        .writeHead(answer.status, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => server.close();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, seen };
}

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
const chunk = {
  streamId: 's',
  attempt: 1,
  seq: 3,
  events: [{ type: 'text' as const, text: 'hi' }],
};

describe('publisher', () => {
  it('signs with SigV4 (service appsync) and retries transient failures with the same (attempt, seq)', async () => {
    const appsync = await fakeAppSync([
      { status: 500, body: { errors: [{ errorType: 'InternalFailure', message: 'x' }] } },
      {
        status: 200,
        body: { data: null, errors: [{ errorType: 'ThrottlingException', message: 'slow down' }] },
      },
    ]);
    await createPublisher({
      graphqlUrl: appsync.url,
      region: 'us-east-1',
      credentials,
      baseDelayMs: 1,
    })(chunk);
    expect(appsync.seen).toHaveLength(3);
    expect(appsync.seen[0]!.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/appsync\/aws4_request/,
    );
    const bodies = appsync.seen.map((s) => JSON.parse(s.body).variables.input);
    expect(new Set(bodies.map((b) => `${b.attempt}:${b.seq}:${b.payload}`)).size).toBe(1);
  });

  it("answers the record's cancel flag from publishChunk's reply (only true cancels)", async () => {
    const appsync = await fakeAppSync([
      { status: 200, body: { data: { publishChunk: { seq: 3, cancelRequested: true } } } },
      { status: 200, body: { data: { publishChunk: { seq: 3, cancelRequested: null } } } },
    ]);
    const publish = createPublisher({ graphqlUrl: appsync.url, region: 'us-east-1', credentials });
    expect(await publish(chunk)).toEqual({ cancelRequested: true });
    expect(await publish(chunk)).toEqual({ cancelRequested: false });
    // The operation asks for the flag (the worker stops on it instead of polling).
    expect(JSON.parse(appsync.seen[0]!.body).query).toContain('cancelRequested');
  });

  it('gives up on a permanent error, and reports a stale attempt as superseded', async () => {
    const appsync = await fakeAppSync([
      {
        status: 200,
        body: { data: null, errors: [{ errorType: 'ValidationError', message: 'bad' }] },
      },
    ]);
    const publish = createPublisher({
      graphqlUrl: appsync.url,
      region: 'us-east-1',
      credentials,
      baseDelayMs: 1,
    });
    await expect(publish(chunk)).rejects.toBeInstanceOf(PublishError);
    close?.();
    const stale = await fakeAppSync([
      {
        status: 200,
        body: { data: null, errors: [{ errorType: 'StaleAttempt', message: 'old' }] },
      },
    ]);
    await expect(
      createPublisher({ graphqlUrl: stale.url, region: 'us-east-1', credentials })(chunk),
    ).rejects.toBeInstanceOf(SupersededError);
  });

  it('never sends a payload that breaks the contract', async () => {
    const appsync = await fakeAppSync([]);
    const publish = createPublisher({ graphqlUrl: appsync.url, region: 'us-east-1', credentials });
    await expect(publish({ ...chunk, events: [] })).rejects.toThrow(/invalid chunk payload/);
    expect(appsync.seen).toHaveLength(0);
  });
});
