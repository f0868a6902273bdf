// startStream step 2: hand the stream to the worker asynchronously. `Event` makes
// Lambda queue the call and answer 202 at once, so startStream never waits for
// generation (AppSync's 30 s limit). The payload is only the id: the worker reads the
// stored input, so Lambda's 256 KB async payload limit never bites.
import { util, type Context } from '@aws-appsync/utils';

export function request(ctx: Context) {
  return {
    operation: 'Invoke',
    invocationType: 'Event',
    payload: { streamId: ctx.stash['streamId'] },
  };
}

export function response(ctx: Context) {
  if (ctx.error) util.error(ctx.error.message, ctx.error.type);
  return ctx.prev.result;
}
