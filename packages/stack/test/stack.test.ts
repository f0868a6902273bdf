/** startLocalStack as a library: several stacks per process, OIDC issuers, stop(). */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLocalJwt, startLocalStack, type LocalStack } from '../src/index.js';
import { GET, START, eventually, gql } from './helpers.js';

let a: LocalStack;
let b: LocalStack;
beforeAll(async () => {
  a = await startLocalStack({ stateFile: false });
  b = await startLocalStack({ stateFile: false });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

/** The error type of getStream on an unknown id: NotFound once past auth. */
async function getStreamAs(stack: LocalStack, jwt: string) {
  const res = await gql(stack.config.graphqlUrl, { authorization: jwt }, GET, {
    streamId: randomUUID(),
  });
  return res.errors?.[0]?.errorType;
}

describe('startLocalStack', () => {
  it('gives every stack its own OIDC issuer; issueLocalJwt signs for the newest', async () => {
    expect(a.config.graphqlUrl).not.toBe(b.config.graphqlUrl);
    expect(await getStreamAs(a, await a.issueJwt('alice'))).toBe('NotFound');
    expect(await getStreamAs(b, await b.issueJwt('alice'))).toBe('NotFound');
    expect(await getStreamAs(a, await b.issueJwt('alice'))).toBe('UnauthorizedException');
    expect(await getStreamAs(b, await issueLocalJwt('bob'))).toBe('NotFound');
    expect(await getStreamAs(a, await issueLocalJwt('bob'))).toBe('UnauthorizedException');
  });

  it('stop() is idempotent and closes every port', async () => {
    const c = await startLocalStack({ stateFile: false });
    const urls = [c.config.graphqlUrl, c.config.bedrockEndpoint!, c.config.dynamodbEndpoint];
    await Promise.all([c.stop(), c.stop()]);
    await c.stop();
    for (const url of urls) await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
    expect(c.invoker.stats().inFlight).toBe(0);
  });

  it("refuses the 'aws' backend without exported credentials, before starting anything", async () => {
    const saved = {
      id: process.env['AWS_ACCESS_KEY_ID'],
      secret: process.env['AWS_SECRET_ACCESS_KEY'],
    };
    delete process.env['AWS_ACCESS_KEY_ID'];
    delete process.env['AWS_SECRET_ACCESS_KEY'];
    try {
      await expect(
        startLocalStack({ stateFile: false, bedrock: { backend: 'aws', region: 'us-west-2' } }),
      ).rejects.toThrow(/needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    } finally {
      if (saved.id !== undefined) process.env['AWS_ACCESS_KEY_ID'] = saved.id;
      if (saved.secret !== undefined) process.env['AWS_SECRET_ACCESS_KEY'] = saved.secret;
    }
  });

  it('restarts AppSync on the same port; with a data dir the store comes back from disk', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bedrock-stream-restart-'));
    const c = await startLocalStack({
      stateFile: false,
      dataDir,
      model: { timeToFirstTokenMs: 0, tokensPerSecond: 2_000, outputTokens: 10 },
    });
    try {
      const headers = { 'x-api-key': c.config.apiKey };
      const streamId = randomUUID();
      const started = await gql(c.config.graphqlUrl, headers, START, {
        input: { streamId, modelId: c.config.defaultModelId, prompt: 'persist me' },
      });
      expect(started.errors).toBeUndefined();
      const status = async () =>
        (
          (await gql(c.config.graphqlUrl, headers, GET, { streamId })).data?.['getStream'] as {
            status: string;
          } | null
        )?.status;
      await eventually(async () => (await status()) === 'COMPLETED', 10_000, 'completion');
      const before = c.emulator;
      await Promise.all([c.restartAppSync({ downMs: 50 }), c.restartAppSync()]);
      expect(c.emulator).not.toBe(before);
      expect(c.emulator.graphqlUrl).toBe(c.config.graphqlUrl);
      expect(await status()).toBe('COMPLETED');
    } finally {
      await c.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
