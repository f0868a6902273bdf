// Mutation.publishChunk (@aws_iam only; pipeline: getStreamForPublish -> putChunk ->
// advanceLastSeq). Returns the STORED chunk, so a subscriber only ever sees chunks
// that catch-up can serve again, with the record's cancel flag as read by step 1: the
// worker stops on it without polling the record while it publishes.
import { type Context } from '@aws-appsync/utils';

export function request() {
  return {};
}

export function response(ctx: Context) {
  const chunk = ctx.prev.result as Record<string, unknown>;
  const record = ctx.stash['record'] as Record<string, unknown>;
  return { ...chunk, cancelRequested: record['cancelRequested'] === true };
}
