// Child process of the async invoker: one Lambda "execution environment". Imports the
// handler module once (warm starts), then runs one invocation at a time.
import { pathToFileURL } from 'node:url';

/** Parent -> runner: run one invocation. */
export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  payload: unknown;
  modulePath: string;
  exportName: string;
  functionName: string;
  /**
   * The function timeout. As in Lambda it runs from the start of the Invoke phase: after
   * a cold start has imported the handler module (the parent allows that an init budget).
   */
  timeoutMs: number;
}

/** Runner -> parent. */
export type RunnerMessage =
  | { type: 'ready' }
  /** The handler is loaded and about to run: the function timeout starts now. */
  | { type: 'started'; requestId: string }
  | { type: 'result'; requestId: string; ok: true; value: unknown }
  | {
      type: 'result';
      requestId: string;
      ok: false;
      error: { errorType: string; errorMessage: string };
    };

type Handler = (event: unknown, context: Record<string, unknown>) => unknown;
const loaded = new Map<string, Handler>();

async function handlerFor(modulePath: string, exportName: string): Promise<Handler> {
  const key = `${modulePath}#${exportName}`;
  let handler = loaded.get(key);
  if (!handler) {
    const mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
    const exported = mod[exportName];
    if (typeof exported !== 'function') {
      const error = new Error(`${modulePath} has no function export '${exportName}'`);
      error.name = 'Runtime.HandlerNotFound';
      throw error;
    }
    handler = exported as Handler;
    loaded.set(key, handler);
  }
  return handler;
}

function describe(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof Error)
    return { errorType: error.name || 'Error', errorMessage: error.message };
  return { errorType: 'Error', errorMessage: String(error) };
}

function send(message: RunnerMessage): void {
  process.send?.(message);
}

process.on('message', (message: InvokeMessage) => {
  if (message?.type !== 'invoke') return;
  void (async () => {
    try {
      const handler = await handlerFor(message.modulePath, message.exportName);
      const deadline = Date.now() + message.timeoutMs;
      send({ type: 'started', requestId: message.requestId });
      const context = {
        awsRequestId: message.requestId,
        functionName: message.functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${message.functionName}`,
        memoryLimitInMB: '1024',
        logGroupName: `/aws/lambda/${message.functionName}`,
        logStreamName: `local/${process.pid}`,
        callbackWaitsForEmptyEventLoop: false,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
      const value = await handler(message.payload, context);
      try {
        send({ type: 'result', requestId: message.requestId, ok: true, value: value ?? null });
      } catch (error) {
        // A result the IPC channel cannot carry is the function's error, as Lambda's
        // serialization failure is.
        send({
          type: 'result',
          requestId: message.requestId,
          ok: false,
          error: {
            errorType: 'Runtime.ResponseSerializationError',
            errorMessage: describe(error).errorMessage,
          },
        });
      }
    } catch (error) {
      send({ type: 'result', requestId: message.requestId, ok: false, error: describe(error) });
    }
  })();
});

// Lambda freezes and later discards environments; here, the parent going away ends us too.
process.on('disconnect', () => process.exit(0));

send({ type: 'ready' });
