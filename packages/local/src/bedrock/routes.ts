import { BedrockHttpError } from './errors.js';
import type { Req } from './http.js';

/** The four Bedrock Runtime operations this endpoint serves. */
export type BedrockOperation =
  'Converse' | 'ConverseStream' | 'InvokeModel' | 'InvokeModelWithResponseStream';

const ROUTE =
  /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)\/?$/;
const OPERATIONS: Record<string, BedrockOperation> = {
  converse: 'Converse',
  'converse-stream': 'ConverseStream',
  invoke: 'InvokeModel',
  'invoke-with-response-stream': 'InvokeModelWithResponseStream',
};

/** A request path matched to an operation (`operation: 'unknown'` when nothing matched). */
export interface Route {
  operation: BedrockOperation | 'unknown';
  /** The model id path segment as sent (still URI-encoded). */
  rawModelId: string;
}

/** Matches `/model/{id}/{action}` the way Bedrock Runtime's REST routes are laid out. */
export function matchRoute(url: string | undefined): Route {
  const pathname = new URL(url ?? '/', 'http://localhost').pathname;
  const match = ROUTE.exec(pathname);
  return {
    operation: match ? (OPERATIONS[match[2] ?? ''] ?? 'unknown') : 'unknown',
    rawModelId: match?.[1] ?? '',
  };
}

/** Whether an operation answers with an event stream. */
export function isStreaming(operation: BedrockOperation): boolean {
  return operation === 'ConverseStream' || operation === 'InvokeModelWithResponseStream';
}

/** `decodeURIComponent` that returns its input unchanged when it is not valid percent-encoding. */
export function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Reads the whole body; bigger than `limit` bytes is Bedrock's "Input is too long". */
export async function readBody(req: Req, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new BedrockHttpError('ValidationException', 'Input is too long for requested model.');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
