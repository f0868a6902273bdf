/** Model ids accepted by default (real Bedrock ids plus the local echo model). */
export const DEFAULT_MODEL_IDS: readonly string[] = [
  'anthropic.claude-3-haiku-20240307-v1:0',
  'anthropic.claude-3-5-sonnet-20240620-v1:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'amazon.nova-lite-v1:0',
  'amazon.nova-micro-v1:0',
  'local.echo-v1',
];

/**
 * Resolves the model id of a request path segment to an accepted id, or undefined. Foundation-model
 * ARNs and cross-region inference profile ids name the same model.
 */
export function resolveModelId(raw: string, allowed: ReadonlySet<string>): string | undefined {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  const tail = id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id;
  const candidates = [id, tail, tail.replace(/^(us|eu|apac|global|us-gov|jp|au|ca)\./, '')];
  return candidates.find((c) => allowed.has(c));
}
