import { createStreamClient } from '@org/bedrock-stream-client';

createStreamClient({
  url,
  region,
  auth: { type: 'API_KEY', apiKey },
  // The defaults: the dropped subscription counts as try 1, so up to 5 resubscriptions,
  // each after a random wait of up to 200, 400, 800, 1600, 3200 ms (capped at 5000).
  reconnect: { maxTries: 6, initialDelayMs: 200, maxDelayMs: 5_000, jitter: true },
});
