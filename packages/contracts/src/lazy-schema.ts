// Schemas built on first use. zod builds every schema (and every check) as an object
// graph when its line runs: ~15 µs each, and the contract has hundreds. The worker's cold
// start paid for all of them, though a prompt-only stream never meets a content block, a
// tool or a reasoning event. Schemas that only some inputs reach are built by the first
// value that reaches them, once.
import * as z from 'zod/mini';

/** `build`, run on the first call and remembered: a schema built on first use. */
export function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}

/**
 * Parses `value` with `schema` inside an enclosing schema's transform: its output, or
 * `z.NEVER` with `schema`'s issues added to `ctx` (paths relative to where `value` sits).
 */
export function parseInto<T>(
  schema: z.ZodMiniType<T>,
  value: unknown,
  ctx: z.core.ParsePayload,
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues)
    ctx.issues.push({ ...issue, input: value } as z.core.$ZodRawIssue);
  return z.NEVER;
}

/**
 * A schema that stands for `build()`'s and builds it the first time a value reaches it
 * (never, for an input that leaves the field out): same output, same issues and paths.
 *
 * Unlike `z.lazy`, it never asks its inner schema anything before a value arrives: an
 * object containing `z.nullish(z.lazy(...))` builds the inner schema on its first parse to
 * learn whether the key may be missing, even when it is.
 */
export function deferred<T extends z.ZodMiniType>(
  build: () => T,
): z.ZodMiniType<z.output<T>, z.input<T>> {
  const schema = once(build);
  return z.pipe(
    z.unknown(),
    z.transform((value, ctx) => parseInto(schema(), value, ctx) as z.output<T>),
  ) as unknown as z.ZodMiniType<z.output<T>, z.input<T>>;
}
