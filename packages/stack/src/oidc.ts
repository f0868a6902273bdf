import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** Signs a JWT for an owner (`sub`). */
export type JwtIssuer = (sub: string) => Promise<string>;

/** Issuers of the running stacks in this process, newest last. */
const issuers: JwtIssuer[] = [];

function jwtIssuer(key: CryptoKey, issuer: string): JwtIssuer {
  return (sub) =>
    new SignJWT({ username: sub })
      .setProtectedHeader({ alg: 'RS256', kid: 'local' })
      .setSubject(sub)
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
}

/**
 * A local OIDC provider for one stack: a fresh RSA key, its public JWK (handed to the
 * emulator) and an issuer of RS256 JWTs (1 h, `sub` = owner). Registered for
 * {@link issueLocalJwt} until `release()`.
 */
export async function createLocalOidc(issuer: string): Promise<{
  issuer: string;
  jwk: JWK;
  issueJwt: JwtIssuer;
  release(): void;
}> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'local', alg: 'RS256', use: 'sig' };
  const issueJwt = jwtIssuer(privateKey, issuer);
  issuers.push(issueJwt);
  return {
    issuer,
    jwk,
    issueJwt,
    release() {
      const index = issuers.indexOf(issueJwt);
      if (index !== -1) issuers.splice(index, 1);
    },
  };
}

/**
 * Signs a JWT (RS256, 1 h, `sub` = owner) for the local OIDC issuer of the most recently
 * started stack in this process. Prefer `stack.issueJwt` when several stacks run.
 * @throws Error when no stack is running.
 */
export async function issueLocalJwt(sub: string): Promise<string> {
  const issue = issuers.at(-1);
  if (!issue) throw new Error('no local stack is running in this process');
  return issue(sub);
}
