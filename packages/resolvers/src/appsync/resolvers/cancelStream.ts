// Mutation.cancelStream (pipeline: getOwnedStream -> requestCancel).
import { type Context } from '@aws-appsync/utils';

export function request() {
  return {};
}

export function response(ctx: Context) {
  const record = ctx.prev.result as Record<string, unknown>;
  return {
    streamId: record['streamId'],
    status: record['status'],
    cancelRequested: record['cancelRequested'],
    createdAt: record['createdAt'],
  };
}
