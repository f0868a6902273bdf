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
 * A schema that parses each value with the schema `choose` picks for it (built by then, on
 * first use), with that schema's output, issues and paths. When `choose` returns nothing
 * it has added its own issue to `ctx`, and the value fails.
 */
export function parsedBy<T>(
  choose: (value: unknown, ctx: z.core.ParsePayload) => z.ZodMiniType<T> | undefined,
): z.ZodMiniType<T> {
  // One object: a transform is a schema of any input by itself.
  return z.transform((value: unknown, ctx) => {
    const schema = choose(value, ctx);
    if (!schema) return z.NEVER;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      ctx.issues.push({ ...issue, input: value } as z.core.$ZodRawIssue);
    return z.NEVER;
  }) as unknown as z.ZodMiniType<T>;
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
  return parsedBy(once(build)) as z.ZodMiniType<z.output<T>, z.input<T>>;
}
