import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../src/lambda-credentials.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('defaultProvider (env only, for the Lambda bundle)', () => {
  it("answers the function role's keys from the environment", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKID');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token');
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', '2030-01-01T00:00:00Z');
    await expect(defaultProvider()()).resolves.toEqual({
      accessKeyId: 'AKID',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
  });

  it('leaves out an empty session token', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKID');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', '');
    await expect(defaultProvider()()).resolves.toEqual({
      accessKeyId: 'AKID',
      secretAccessKey: 'secret',
    });
  });

  it('names the missing variables', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY/);
  });
});
