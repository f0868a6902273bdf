import { createStreamClient } from '@org/bedrock-stream-client';

const client = createStreamClient({ url, region, auth: { type: 'API_KEY', apiKey } });
await client.connect(); // e.g. when the chat screen opens
const handle = client.stream({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', prompt: 'Hi' });
