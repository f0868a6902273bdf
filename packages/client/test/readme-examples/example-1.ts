import { createStreamClient } from '@org/bedrock-stream-client';

const client = createStreamClient({
  url: process.env.GRAPHQL_URL!, // e.g. the local stack's http://127.0.0.1:<port>/graphql
  region: 'us-east-1',
  auth: { type: 'API_KEY', apiKey: process.env.API_KEY! },
});

const handle = client.stream({
  modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  prompt: 'Write a haiku about streams.',
});
for await (const update of handle) {
  if (update.type === 'text') process.stdout.write(update.delta);
  if (update.type === 'error' && !update.fatal) console.warn(update.error.message);
  if (update.type === 'notice') console.warn(update.message); // e.g. UNKNOWN_EVENTS
}
const result = await handle.done; // never rejects
console.log('\n', result.status, result.stopReason, result.usage);
client.close();
