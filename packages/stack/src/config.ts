import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The JSON the stack prints when ready and writes to `.state/local-stack.json`. */
export const ReadyConfigSchema = z.object({
  ready: z.literal(true),
  graphqlUrl: z.url(),
  realtimeUrl: z.string().startsWith('ws'),
  region: z.string().min(1),
  apiKey: z.string().min(1),
  bedrockEndpoint: z.string().nullable(),
  dynamodbEndpoint: z.url(),
  tableName: z.string().min(1),
  allowedModelIds: z.array(z.string()).min(1),
  defaultModelId: z.string().min(1),
  webUrl: z.url().nullable(),
  oidcIssuer: z.string(),
  /** The GraphQL endpoint over HTTPS (null when TLS is off). */
  httpsGraphqlUrl: z.url().nullable(),
  /** The real-time endpoint over WSS (null when TLS is off). */
  wssRealtimeUrl: z.string().startsWith('wss://').nullable(),
  /** The local CA certificate clients trust for the two above (null when TLS is off). */
  caFile: z.string().min(1).nullable(),
});
export type ReadyConfig = z.infer<typeof ReadyConfigSchema>;

/** `<repo>/.state/local-stack.json` (gitignored). */
export function defaultStatePath(): string {
  return fileURLToPath(new URL('../../../.state/local-stack.json', import.meta.url));
}

/** `<repo>/.state/tls/` (gitignored): the local CA and server certificate. */
export function defaultTlsDir(): string {
  return fileURLToPath(new URL('../../../.state/tls/', import.meta.url));
}

/**
 * Reads the running local stack's config (for apps and scripts).
 * @throws Error naming the file and the problem when it is missing or invalid.
 */
export function readLocalStackConfig(
  path = process.env['BEDROCK_STREAM_CONFIG'] ?? defaultStatePath(),
): ReadyConfig {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`no local stack config at ${path}: start the stack first (pnpm start)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = ReadyConfigSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`${path} is not a local stack config: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
