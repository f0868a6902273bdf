import { createStreamClient } from '@org/bedrock-stream-client';

createStreamClient({
  url,
  region,
  auth: { type: 'API_KEY', apiKey },
  // Each operation: { maxTries: 8, initialDelayMs: 200, maxDelayMs: 5000, jitter: true } by
  // default; give only what you change.
  retry: { startStream: { maxTries: 12 }, streamChunks: { maxDelayMs: 2_000 } },
  requestTimeoutMs: 10_000, // one try of an HTTP operation (default 15000)
});
