import { InMemoryCache } from '@apollo/client';
import { createStreamClient } from '@org/bedrock-stream-client';

const client = createStreamClient({
  url,
  region,
  auth: { type: 'API_KEY', apiKey },
  cache: new InMemoryCache(),
});
