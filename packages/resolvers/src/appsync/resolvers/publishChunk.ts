// Mutation.publishChunk (@aws_iam only; pipeline: getStreamForPublish -> putChunk ->
// advanceLastSeq). Returns the STORED chunk, so a subscriber only ever sees chunks
// that catch-up can serve again.
import { type Context } from '@aws-appsync/utils';

export function request() {
  return {};
}

export function response(ctx: Context) {
  return ctx.prev.result;
}
