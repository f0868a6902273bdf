import { z } from 'zod';

/** What the page needs to reach an API: the local stack's /config.json or a deployed API. */
export const WebConfigSchema = z.object({
  graphqlUrl: z.url(),
  region: z.string().min(1),
  apiKey: z.string().min(1),
  allowedModelIds: z.array(z.string().min(1)).min(1),
  defaultModelId: z.string().min(1).optional(),
});
export type WebConfig = z.infer<typeof WebConfigSchema>;

/**
 * Deployed: VITE_GRAPHQL_URL, VITE_REGION, VITE_API_KEY, VITE_MODEL_IDS (comma list) at build
 * time. Local: the stack serves /config.json next to the page.
 */
export async function loadConfig(): Promise<WebConfig> {
  const env = import.meta.env;
  if (env['VITE_GRAPHQL_URL']) {
    return WebConfigSchema.parse({
      graphqlUrl: env['VITE_GRAPHQL_URL'],
      region: env['VITE_REGION'] ?? 'us-east-1',
      apiKey: env['VITE_API_KEY'],
      allowedModelIds: String(env['VITE_MODEL_IDS'] ?? '')
        .split(',')
        .filter(Boolean),
    });
  }
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok)
    throw new Error(
      `could not load /config.json (${res.status}): start the local stack with pnpm start`,
    );
  const parsed = WebConfigSchema.safeParse(await res.json());
  if (!parsed.success)
    throw new Error(`/config.json is not a stack config: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
