import { createStreamClient } from '@org/bedrock-stream-client';

const client = createStreamClient({ url, region, auth: { type: 'API_KEY', apiKey } });
const result = await client.stream({
  modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  prompt: 'Hi',
}).done;
if (result.error?.code === 'QuotaExceeded') {
  const wait = result.error.retryAfterSeconds ?? 60;
  console.log(`limit reached (${result.error.quota?.quota ?? 'daily tokens'}); retry in ${wait} s`);
}
const today = await client.usage(); // { days, months, total, quotas, ... } for today (UTC)
console.log(today.total.outputTokens, 'of', today.quotas.outputTokensPerDayPerOwner ?? '∞');
