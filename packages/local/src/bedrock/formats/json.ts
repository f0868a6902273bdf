import { BedrockHttpError, toRequestErrorName, writeHttpError } from '../errors.js';
import { collectResponse, usageOf, type ResponseContext, type RunEnd } from '../respond.js';
import { anthropicBody } from './anthropic.js';
import { converseBody } from './converse.js';

/** Converse / InvokeModel: the whole answer as one JSON body (Converse-shaped for Nova too). */
export async function jsonResponse(
  ctx: ResponseContext,
  operation: 'Converse' | 'InvokeModel',
): Promise<RunEnd> {
  const { end, content, timing } = await collectResponse(ctx);
  if (end.kind === 'midStream') {
    // Without a stream the same failure surfaces as the request-level error of that name.
    const name = toRequestErrorName(end.error) ?? 'ModelErrorException';
    const extra: Record<string, unknown> =
      name === 'ModelErrorException' ? { originalStatusCode: 500, resourceName: ctx.modelId } : {};
    writeHttpError(ctx.res, new BedrockHttpError(name, undefined, extra), ctx.requestId);
    ctx.rec.status = new BedrockHttpError(name).status;
    ctx.rec.error = name;
    return end;
  }
  if (end.kind !== 'done') return end;
  const r = end.result;
  const payload =
    operation === 'Converse' || ctx.dialect === 'nova'
      ? converseBody(ctx, content, r, timing)
      : anthropicBody(ctx, content, r);
  const body = JSON.stringify(payload);
  ctx.res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': ctx.requestId,
    ...(operation === 'InvokeModel'
      ? {
          'x-amzn-bedrock-input-token-count': String(usageOf(ctx, r).inputTokens),
          'x-amzn-bedrock-output-token-count': String(r.outputTokens),
          'x-amzn-bedrock-invocation-latency': String(timing.latencyMs),
        }
      : {}),
  });
  ctx.res.end(body);
  return end;
}
