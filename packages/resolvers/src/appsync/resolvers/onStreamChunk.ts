// Subscription.onStreamChunk: only the owner may watch a stream. The client subscribes
// BEFORE startStream, so a missing record is allowed (ids are 122 random bits and
// single-use: putStream refuses an existing id). The enhanced filter pins delivery to
// this stream id AND to the subscriber's owner key on the server side, so a subscription
// made before the stream existed still receives nothing unless its caller owns it.
import { util, extensions, type Context } from '@aws-appsync/utils';
import { assertStreamId, failOnError, ownerOf, recordKey } from '../lib/common.js';

export function request(ctx: Context) {
  const streamId = assertStreamId(ctx.args['streamId']);
  return { operation: 'GetItem', key: recordKey(streamId), consistentRead: true };
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  const record = ctx.result as Record<string, unknown> | null;
  if (record && record['owner'] !== ownerOf(ctx.identity as Record<string, unknown> | null)) {
    util.unauthorized();
  }
  extensions.setSubscriptionFilter(
    util.transform.toSubscriptionFilter({
      streamId: { eq: ctx.args['streamId'] as string },
      owner: { eq: ownerOf(ctx.identity as Record<string, unknown> | null) },
    }),
  );
  return null;
}
