// In Lambda the runtime puts the function role's credentials in the environment, so the
// deployed bundle needs no other source. infra's bundler aliases the SDK's default chain
// (`@aws-sdk/credential-provider-node`: files, SSO, STS, IMDS, and the nested clients they
// carry) to this module, which cuts the bundle and the cold import (see the bench's
// coldStart). Outside Lambda, the unbundled worker keeps the whole default chain.
// Written here rather than taken from `@aws-sdk/credential-provider-env`: it is a few lines,
// and that package as a direct dependency moves the lockfile's shared SDK core versions.

/** Credentials as the SDK's providers return them. */
export interface EnvCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/**
 * The default chain's signature (`defaultProvider(init)`), answered from the environment
 * only: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
 * `AWS_CREDENTIAL_EXPIRATION` — what Lambda sets for the function's role.
 */
export function defaultProvider(_init: unknown = {}): () => Promise<EnvCredentials> {
  return async () => {
    const env = process.env;
    const accessKeyId = env['AWS_ACCESS_KEY_ID'];
    const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
    if (!accessKeyId || !secretAccessKey) {
      throw new Error(
        'bedrock-stream worker bundle: no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment (the bundle is built for Lambda, which sets them)',
      );
    }
    const expiration = env['AWS_CREDENTIAL_EXPIRATION'];
    return {
      accessKeyId,
      secretAccessKey,
      ...(env['AWS_SESSION_TOKEN'] ? { sessionToken: env['AWS_SESSION_TOKEN'] } : {}),
      ...(expiration ? { expiration: new Date(expiration) } : {}),
    };
  };
}
