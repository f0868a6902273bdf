// startStream step 2: hand the stream to the worker asynchronously. `Event` makes
// Lambda queue the call and answer 202 at once, so startStream never waits for
// generation (AppSync's 30 s limit). The payload is only the id: the worker reads the
// stored input, so Lambda's 256 KB async payload limit never bites.
// A retried start of an existing stream invokes again only while no worker has claimed
// it (status ACCEPTED) a while after it was accepted: the first invoke may have failed.
// A duplicate invoke is harmless (the worker's claim is idempotent, so Bedrock is
// called once), but the wait keeps quick retries from doubling every invocation.
import { runtime, util, type Context } from '@aws-appsync/utils';

/** How old an unclaimed stream must be before a retried start invokes the worker again. */
const REINVOKE_AFTER_MS = 2_000;

export function request(ctx: Context) {
  if (ctx.stash['existing']) {
    const record = ctx.prev.result as Record<string, unknown>;
    const age =
      util.time.nowEpochMilliSeconds() -
      util.time.parseISO8601ToEpochMilliSeconds(record['createdAt'] as string);
    if (record['status'] !== 'ACCEPTED' || age < REINVOKE_AFTER_MS) runtime.earlyReturn(record);
  }
  return {
    operation: 'Invoke',
    invocationType: 'Event',
    payload: { streamId: ctx.stash['streamId'] },
  };
}

export function response(ctx: Context) {
  if (ctx.error) {
    const record = ctx.prev.result as Record<string, unknown>;
    const slots = record['slots'] as string[] | undefined;
    // A stream that holds quota slots must not keep them when no worker will run it: the
    // next step gives them back, then fails the start with this error.
    if (slots && slots.length > 0 && record['status'] === 'ACCEPTED') {
      ctx.stash['invokeError'] = ctx.error;
      return record;
    }
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.prev.result;
}
