// The chunk contract's closed vocabularies as plain data (no zod), so the APPSYNC_JS
// resolvers, which cannot run zod, check against the very same lists.

/** Why generation stopped. `cancelled` is ours: the owner called cancelStream. */
export const STOP_REASONS = [
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'cancelled',
  'content_filtered',
  'guardrail_intervened',
  'tool_use',
] as const;
