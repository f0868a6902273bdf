import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { createStreamClient } from '@org/bedrock-stream-client';

createStreamClient({
  url,
  region,
  auth: { type: 'AWS_IAM', credentials: fromNodeProviderChain() },
});
createStreamClient({
  url,
  region,
  auth: {
    type: 'AMAZON_COGNITO_USER_POOLS',
    jwtToken: async () => (await fetchAuthSession()).tokens!.idToken!.toString(),
  },
});
createStreamClient({
  url,
  region,
  auth: { type: 'OPENID_CONNECT', jwtToken: () => oidc.accessToken },
});
