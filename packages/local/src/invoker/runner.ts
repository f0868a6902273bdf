// Child process of the async invoker: one Lambda "execution environment". Imports the
// handler module once (warm starts), then runs one invocation at a time.
import { pathToFileURL } from 'node:url';

interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  payload: unknown;
  modulePath: string;
  exportName: string;
  functionName: string;
  deadline: number;
}

type Handler = (event: unknown, context: Record<string, unknown>) => unknown;
const loaded = new Map<string, Handler>();

async function handlerFor(modulePath: string, exportName: string): Promise<Handler> {
  const key = `${modulePath}#${exportName}`;
  let handler = loaded.get(key);
  if (!handler) {
    const mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
    const exported = mod[exportName];
    if (typeof exported !== 'function')
      throw new Error(`${modulePath} has no function export '${exportName}'`);
    handler = exported as Handler;
    loaded.set(key, handler);
  }
  return handler;
}

function describe(error: unknown): { errorType: string; errorMessage: string } {
  const e = error as Error;
  return { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(error) };
}

process.on('message', (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  void (async () => {
    try {
      const handler = await handlerFor(message.modulePath, message.exportName);
      const context = {
        awsRequestId: message.requestId,
        functionName: message.functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${message.functionName}`,
        memoryLimitInMB: '1024',
        logGroupName: `/aws/lambda/${message.functionName}`,
        logStreamName: 'local',
        callbackWaitsForEmptyEventLoop: false,
        getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
      };
      const value = await handler(message.payload, context);
      process.send?.({
        type: 'result',
        requestId: message.requestId,
        ok: true,
        value: value ?? null,
      });
    } catch (error) {
      process.send?.({
        type: 'result',
        requestId: message.requestId,
        ok: false,
        error: describe(error),
      });
    }
  })();
});

process.send?.({ type: 'ready' });
