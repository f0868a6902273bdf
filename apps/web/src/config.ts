// zod/mini: the method-chain build would be a large share of the page's JavaScript.
import * as z from 'zod/mini';

/** What the page needs to reach an API: the local stack's /config.json or a deployed API. */
export const WebConfigSchema = z.object({
  graphqlUrl: z.url(),
  region: z.string().check(z.minLength(1)),
  apiKey: z.string().check(z.minLength(1)),
  allowedModelIds: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  defaultModelId: z.optional(z.string().check(z.minLength(1))),
});
/** The validated configuration of the chat page. */
export type WebConfig = z.infer<typeof WebConfigSchema>;

/** Build-time variables (Vite `import.meta.env`) the page reads. */
export interface WebEnv {
  VITE_GRAPHQL_URL?: string;
  VITE_REGION?: string;
  VITE_API_KEY?: string;
  VITE_MODEL_IDS?: string;
  VITE_CONFIG_URL?: string;
}

/** The CDK outputs file (`cdk deploy --outputs-file`): `{ <stack>: { <logicalId>: value } }`. */
const CdkOutputsSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

function modelList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function firstIssue(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}

/**
 * Turns a fetched config document into a {@link WebConfig}. Accepts the local stack's ready JSON
 * (or any object of the same shape) and a CDK outputs file, whose output ids carry construct
 * prefixes and hashes, so they are matched by suffix (GraphqlUrl, Region, ApiKeyId). A CDK file
 * has no model list: it comes from `VITE_MODEL_IDS` or the document's own `allowedModelIds`.
 */
export function parseWebConfig(raw: unknown, env: WebEnv = {}, source = 'config'): WebConfig {
  const direct = WebConfigSchema.safeParse(raw);
  if (direct.success) return direct.data;
  const cdk = CdkOutputsSchema.safeParse(raw);
  if (cdk.success) {
    for (const outputs of Object.values(cdk.data)) {
      const find = (re: RegExp) =>
        Object.entries(outputs).find(([k, v]) => re.test(k) && typeof v === 'string')?.[1];
      const graphqlUrl = find(/GraphqlUrl[0-9A-F]*$/i);
      if (graphqlUrl === undefined) continue;
      const parsed = WebConfigSchema.safeParse({
        graphqlUrl,
        region: find(/Region[0-9A-F]*$/i) ?? env.VITE_REGION,
        apiKey: find(/ApiKey(Id)?[0-9A-F]*$/i) ?? env.VITE_API_KEY,
        allowedModelIds: modelList(env.VITE_MODEL_IDS),
      });
      if (parsed.success) return parsed.data;
      throw new Error(`${source} (CDK outputs) is incomplete: ${firstIssue(parsed.error)}`);
    }
  }
  throw new Error(`${source} is not a stack config: ${firstIssue(direct.error)}`);
}

/**
 * Where the page's config comes from, first match wins:
 * 1. `?config=<url>` in the page URL (any stack's or deployment's JSON);
 * 2. `VITE_GRAPHQL_URL` (+ `VITE_REGION`, `VITE_API_KEY`, `VITE_MODEL_IDS`) at build time;
 * 3. `VITE_CONFIG_URL` at build time;
 * 4. `/config.json` from the page's own origin (what the local stack serves).
 */
export function configSource(search: string, env: WebEnv): { url: string } | { inline: WebEnv } {
  const fromQuery = new URLSearchParams(search).get('config');
  if (fromQuery) return { url: fromQuery };
  if (env.VITE_GRAPHQL_URL) return { inline: env };
  return { url: env.VITE_CONFIG_URL || '/config.json' };
}

/** Loads and validates the page's config (see {@link configSource} for the order). */
export async function loadConfig(
  search: string = location.search,
  env: WebEnv = import.meta.env as WebEnv,
): Promise<WebConfig> {
  const source = configSource(search, env);
  if ('inline' in source) {
    return parseWebConfig(
      {
        graphqlUrl: env.VITE_GRAPHQL_URL,
        region: env.VITE_REGION ?? 'us-east-1',
        apiKey: env.VITE_API_KEY,
        allowedModelIds: modelList(env.VITE_MODEL_IDS),
      },
      env,
      'the VITE_* build variables',
    );
  }
  let res: Response;
  try {
    res = await fetch(source.url, { cache: 'no-store' });
  } catch {
    throw new Error(`could not fetch ${source.url}: is the local stack running (pnpm start)?`);
  }
  if (!res.ok)
    throw new Error(
      `could not load ${source.url} (HTTP ${res.status}): start the local stack with pnpm start`,
    );
  return parseWebConfig(await res.json(), env, source.url);
}
