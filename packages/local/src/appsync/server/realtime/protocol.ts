import type { RealtimeConnection } from './connection.js';
import { startSubscription, type SubscribeDeps } from './subscribe.js';

/** What the message handler needs besides the connection. */
export interface ProtocolDeps extends SubscribeDeps {
  keepAliveMs: number;
  connectionTimeoutMs: number;
}

/**
 * Handles one client message of AppSync's real-time protocol on an authenticated
 * connection: `connection_init` (ack + keep-alive), `start`, `stop`; anything else, and
 * anything that is not a JSON object, is answered with an `error`.
 */
export async function handleMessage(
  connection: RealtimeConnection,
  text: string | null,
  deps: ProtocolDeps,
): Promise<void> {
  let message: { type?: unknown; id?: unknown; payload?: unknown };
  try {
    message = JSON.parse(text ?? '') as typeof message;
    if (!message || typeof message !== 'object') throw new Error('not an object');
  } catch {
    connection.send({
      type: 'error',
      payload: {
        errors: [{ errorType: 'UnsupportedOperation', message: 'Messages must be JSON objects.' }],
      },
    });
    return;
  }
  const id = typeof message.id === 'string' ? message.id : undefined;
  switch (message.type) {
    case 'connection_init':
      connection.send({
        type: 'connection_ack',
        payload: { connectionTimeoutMs: deps.connectionTimeoutMs },
      });
      connection.send({ type: 'ka' });
      connection.startKeepAlive(deps.keepAliveMs);
      return;
    case 'stop':
      if (id) connection.subscriptions.delete(id);
      connection.send({ type: 'complete', id });
      return;
    case 'start':
      await startSubscription(connection, id, message.payload, deps);
      return;
    default:
      connection.send({
        type: 'error',
        id,
        payload: {
          errors: [
            {
              errorType: 'UnsupportedOperation',
              message: `${String(message.type)} not supported through the realtime channel`,
            },
          ],
        },
      });
  }
}
