import { createStreamClient } from '@org/bedrock-stream-client';

const client = createStreamClient({ url, region, auth: { type: 'API_KEY', apiKey } });
const handle = client.resume('0b6b8c3e-4a8f-4e8e-9d6a-2f1c7c9b5a10');
for await (const update of handle) {
  if (update.type === 'text') process.stdout.write(update.delta); // stored text first
}
