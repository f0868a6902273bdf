// Query.getStream (pipeline: getOwnedStream). AWSJSON fields are returned as JSON text.
import { type Context } from '@aws-appsync/utils';

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function request() {
  return {};
}

export function response(ctx: Context) {
  const r = ctx.prev.result as Record<string, unknown>;
  return {
    streamId: r['streamId'],
    status: r['status'],
    modelId: r['modelId'],
    attempt: r['attempt'],
    lastSeq: r['lastSeq'],
    cancelRequested: r['cancelRequested'],
    stopReason: r['stopReason'] ?? null,
    usage: json(r['usage']),
    metrics: json(r['metrics']),
    error: json(r['error']),
    createdAt: r['createdAt'],
    updatedAt: r['updatedAt'],
  };
}
