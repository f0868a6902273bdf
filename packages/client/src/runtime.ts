import type { WebSocketConstructor } from './options.js';

const g = globalThis as { WebSocket?: unknown; Buffer?: unknown };

let pending: Promise<void> | undefined;

/**
 * aws-appsync-subscription-link calls the global `WebSocket` (constructor and
 * `WebSocket.OPEN`) and `Buffer.from(...).toString('base64')` for the handshake header.
 * Node 20 has no global WebSocket and browsers have no Buffer, so supply whichever is
 * missing — loaded lazily so browsers never load `ws` and Node never loads `buffer`.
 * Existing globals are never replaced.
 */
export function ensureRealtimeGlobals(webSocketImpl?: WebSocketConstructor): Promise<void> {
  if (g.WebSocket === undefined && webSocketImpl) g.WebSocket = webSocketImpl;
  if (g.WebSocket !== undefined && g.Buffer !== undefined) return Promise.resolve();
  pending ??= (async () => {
    if (g.WebSocket === undefined) {
      const ws = await import('ws');
      g.WebSocket ??= ws.WebSocket;
    }
    if (g.Buffer === undefined) {
      const buffer = await import('buffer');
      g.Buffer ??= buffer.Buffer;
    }
  })().finally(() => {
    pending = undefined;
  });
  return pending;
}
