import { z } from 'zod';
import { DataSourceError, type DataSourceImpl } from '../runtime/index.js';

/** How the data source reaches a function: the stack plugs in the async invoker. */
export interface LambdaInvoke {
  (payload: unknown, invocationType: 'Event' | 'RequestResponse'): Promise<unknown>;
}

const Request = z.object({
  operation: z.enum(['Invoke', 'BatchInvoke']),
  invocationType: z.enum(['Event', 'RequestResponse']).optional(),
  payload: z.unknown().optional(),
});

/**
 * An AWS_LAMBDA data source. `invocationType: 'Event'` (asynchronous) resolves as soon
 * as the invoker has queued the event, like Lambda's 202; the default is
 * RequestResponse, as in AppSync.
 */
export function createLambdaDataSource(options: { invoke: LambdaInvoke }): DataSourceImpl {
  return {
    async invoke(raw) {
      const parsed = Request.safeParse(raw);
      if (!parsed.success)
        throw new DataSourceError('invalid Lambda request object', 'Lambda:ValidationException');
      const { invocationType = 'RequestResponse', payload = null } = parsed.data;
      try {
        const result = await options.invoke(payload, invocationType);
        return invocationType === 'Event' ? null : result;
      } catch (error) {
        throw new DataSourceError((error as Error).message, 'Lambda:Unhandled');
      }
    },
  };
}

/** A NONE data source: the request's `payload` becomes the result. */
export function createNoneDataSource(): DataSourceImpl {
  return {
    async invoke(raw) {
      return raw && typeof raw === 'object' && 'payload' in raw
        ? (raw as { payload: unknown }).payload
        : null;
    },
  };
}
