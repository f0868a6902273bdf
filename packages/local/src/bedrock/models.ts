import { BedrockHttpError } from './errors.js';

/** The geography prefixes of Bedrock's system-defined (cross-Region) inference profiles. */
export type ProfilePrefix = 'global' | 'us' | 'eu' | 'apac' | 'jp' | 'au' | 'ca' | 'us-gov';

/** What the endpoint knows about one foundation model (capabilities drive validation). */
export interface ModelInfo {
  /** Foundation-model id, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0`. */
  id: string;
  /** Request dialect family: Anthropic Claude, Amazon Nova or the local test models. */
  family: 'anthropic' | 'nova' | 'local';
  /** System inference profiles that exist for it (`us.<id>`, `global.<id>` ...). */
  profiles: readonly ProfilePrefix[];
  /** Only reachable through an inference profile (on-demand invocation of the bare id fails). */
  profileOnly: boolean;
  /** Extended thinking (`thinking: {type: 'enabled', budget_tokens}`). */
  thinking: boolean;
  /** `thinking: {type: 'adaptive'}` as well. */
  adaptiveThinking: boolean;
  /** Smallest prompt prefix (tokens) a cache checkpoint caches; undefined: no prompt caching. */
  cacheMinTokens?: number;
  /** Largest `maxTokens` / `max_tokens` the model accepts. */
  maxOutputTokens: number;
  /** Image and document input blocks. */
  media: boolean;
}

const CLAUDE = { family: 'anthropic', media: true, adaptiveThinking: false } as const;
const NOVA = {
  family: 'nova',
  thinking: false,
  adaptiveThinking: false,
  maxOutputTokens: 10_000,
  cacheMinTokens: 1000,
} as const;

/**
 * The models of the default catalog. Claude 3.7 and newer (and Nova Premier) are served only
 * through inference profiles, as on Bedrock; ids and profile lists follow Anthropic's and AWS's
 * published tables.
 */
export const MODEL_CATALOG: readonly ModelInfo[] = [
  // Kept first and in this order: other packages take the first entries as "allowed" models.
  {
    ...CLAUDE,
    id: 'anthropic.claude-3-haiku-20240307-v1:0',
    profiles: ['us', 'eu', 'apac'],
    profileOnly: false,
    thinking: false,
    maxOutputTokens: 4096,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    profiles: ['us', 'eu', 'apac'],
    profileOnly: false,
    thinking: false,
    maxOutputTokens: 8192,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    profiles: ['us'],
    profileOnly: false,
    thinking: false,
    maxOutputTokens: 8192,
    cacheMinTokens: 2048,
  },
  {
    ...NOVA,
    id: 'amazon.nova-lite-v1:0',
    profiles: ['us', 'eu', 'apac'],
    profileOnly: false,
    media: true,
  },
  {
    ...NOVA,
    id: 'amazon.nova-micro-v1:0',
    profiles: ['us', 'eu', 'apac'],
    profileOnly: false,
    media: false,
  },
  {
    id: 'local.echo-v1',
    family: 'local',
    profiles: [],
    profileOnly: false,
    thinking: false,
    adaptiveThinking: false,
    maxOutputTokens: 100_000,
    media: true,
  },
  // Current models.
  {
    ...CLAUDE,
    id: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
    profiles: ['us', 'apac'],
    profileOnly: false,
    thinking: false,
    maxOutputTokens: 8192,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-3-7-sonnet-20250219-v1:0',
    profiles: ['us', 'eu', 'apac'],
    profileOnly: true,
    thinking: true,
    maxOutputTokens: 64_000,
    cacheMinTokens: 1024,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-sonnet-4-20250514-v1:0',
    profiles: ['global', 'us', 'eu', 'apac'],
    profileOnly: true,
    thinking: true,
    maxOutputTokens: 64_000,
    cacheMinTokens: 1024,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-opus-4-20250514-v1:0',
    profiles: ['us'],
    profileOnly: true,
    thinking: true,
    maxOutputTokens: 32_000,
    cacheMinTokens: 1024,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-opus-4-1-20250805-v1:0',
    profiles: ['us'],
    profileOnly: true,
    thinking: true,
    maxOutputTokens: 32_000,
    cacheMinTokens: 1024,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    profiles: ['global', 'us', 'eu', 'jp', 'au'],
    profileOnly: true,
    thinking: true,
    maxOutputTokens: 64_000,
    cacheMinTokens: 1024,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    profiles: ['global', 'us', 'eu', 'jp', 'au'],
    profileOnly: true,
    thinking: true,
    maxOutputTokens: 64_000,
    cacheMinTokens: 4096,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-opus-4-5-20251101-v1:0',
    profiles: ['global', 'us', 'eu'],
    profileOnly: true,
    thinking: true,
    maxOutputTokens: 64_000,
    cacheMinTokens: 4096,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-sonnet-4-6',
    profiles: ['global', 'us', 'eu', 'jp'],
    profileOnly: true,
    thinking: true,
    adaptiveThinking: true,
    maxOutputTokens: 64_000,
    cacheMinTokens: 1024,
  },
  {
    ...CLAUDE,
    id: 'anthropic.claude-opus-4-6-v1',
    profiles: ['global', 'us', 'eu', 'jp', 'apac'],
    profileOnly: true,
    thinking: true,
    adaptiveThinking: true,
    maxOutputTokens: 128_000,
    cacheMinTokens: 4096,
  },
  {
    ...NOVA,
    id: 'amazon.nova-pro-v1:0',
    profiles: ['us', 'eu', 'apac'],
    profileOnly: false,
    media: true,
  },
  { ...NOVA, id: 'amazon.nova-premier-v1:0', profiles: ['us'], profileOnly: true, media: true },
];

/** Model ids accepted by default: every foundation id of {@link MODEL_CATALOG}. */
export const DEFAULT_MODEL_IDS: readonly string[] = MODEL_CATALOG.map((m) => m.id);

/**
 * The ids an app can invoke as they are, as it would put them in its allow-list: foundation
 * ids, and for models Bedrock serves only through inference profiles, their first system
 * profile (`global.` / `us.` ...). A bare id of such a model is refused, as on Bedrock.
 */
export const INVOCABLE_MODEL_IDS: readonly string[] = MODEL_CATALOG.map((m) =>
  m.profileOnly ? `${m.profiles[0]}.${m.id}` : m.id,
);

/** The foundation id behind an id that may name a system inference profile. */
export function foundationModelId(id: string): string {
  return PROFILE.exec(id)?.[2] ?? id;
}

const CATALOG = new Map(MODEL_CATALOG.map((m) => [m.id, m]));
const PROFILE = /^(global|us-gov|us|eu|apac|jp|au|ca)\.(.+)$/;

/** Capabilities of an accepted id; ids outside the catalog (custom `modelIds`) get generic ones. */
export function modelInfo(id: string): ModelInfo {
  const known = CATALOG.get(id);
  if (known) return known;
  const family = id.startsWith('anthropic.')
    ? 'anthropic'
    : id.startsWith('amazon.')
      ? 'nova'
      : 'local';
  return {
    id,
    family,
    profiles: [],
    profileOnly: false,
    thinking: false,
    adaptiveThinking: false,
    maxOutputTokens: 100_000,
    media: true,
  };
}

/** A model id of a request path resolved against the accepted ids. */
export interface ResolvedModel {
  /** The foundation-model id the request runs on. */
  modelId: string;
  /** The inference profile prefix, when the request named a profile. */
  profile?: string;
}

/**
 * Resolves a request path's model id: a foundation id, its ARN, a system inference profile id
 * (`us.`, `eu.`, `global.` ...) or its ARN. Undefined for unknown ids and for profiles Bedrock
 * does not define for that model (both are "The provided model identifier is invalid.").
 */
export function resolveModelId(
  raw: string,
  allowed: ReadonlySet<string>,
): ResolvedModel | undefined {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  // Foundation-model and inference-profile ARNs end in the id after the last slash.
  const tail = id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id;
  if (allowed.has(tail)) return { modelId: tail };
  const profile = PROFILE.exec(tail);
  if (!profile) return undefined;
  const [, prefix = '', base = ''] = profile;
  if (!allowed.has(base)) return undefined;
  const known = CATALOG.get(base);
  // Catalog models have a known profile list; custom ids accept any geography.
  if (known && !known.profiles.includes(prefix as ProfilePrefix)) return undefined;
  return { modelId: base, profile: prefix };
}

/**
 * Bedrock refuses on-demand invocation of a profile-only model by its bare id; the message names
 * the way out.
 */
export function assertInvocable(resolved: ResolvedModel): void {
  if (resolved.profile === undefined && modelInfo(resolved.modelId).profileOnly) {
    throw new BedrockHttpError(
      'ValidationException',
      `Invocation of model ID ${resolved.modelId} with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
    );
  }
}
