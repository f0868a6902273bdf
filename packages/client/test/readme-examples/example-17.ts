import { createStreamClient } from '@org/bedrock-stream-client';

createStreamClient({
  url,
  region,
  auth: { type: 'API_KEY', apiKey },
  // The defaults: the dropped subscription counts as try 1, so up to 9 resubscriptions,
  // each after a random wait of up to 200, 400, 800, 1600, 3200, then 5000 ms.
  reconnect: { maxTries: 10, initialDelayMs: 200, maxDelayMs: 5_000, jitter: true },
});
