/**
 * The two globals aws-appsync-subscription-link reads, supplied only where that link runs.
 *
 * Everything else the client reaches (contracts, Apollo, aws-appsync-auth-link) runs in a
 * browser as is: no Node built-in, no global `Buffer` or `process` (test/browser-bundle.test.ts
 * bundles both entries for `platform: 'browser'` without polyfills to keep it so). The
 * subscription link is the exception: its handshake calls the global `WebSocket` (constructor
 * and `WebSocket.OPEN`) and `Buffer.from(header).toString('base64')`. Node 20 has no global
 * WebSocket and browsers have no Buffer, so the transport calls {@link ensureRealtimeGlobals}
 * right before it subscribes (never at import time, never for queries or mutations), and it
 * fills in whichever is missing. Both are loaded lazily: browsers never load `ws` (bundlers
 * map it to its browser stub) and Node never loads `buffer`. In apps built with the Vite
 * plugin (`@org/bedrock-stream-client/vite`) the link has a Buffer of its own and
 * {@link loadGlobalBuffer} gives none: no global Buffer is installed there.
 */
import { loadGlobalBuffer } from './link-buffer.js';
import type { WebSocketConstructor } from './options.js';

const g = globalThis as { WebSocket?: unknown; Buffer?: unknown };

let pending: Promise<void> | undefined;
/** Set once loadGlobalBuffer said the link needs no global Buffer (Vite plugin builds). */
let linkHasOwnBuffer = false;

/**
 * Installs a global `WebSocket` (the given implementation, else `ws`) when there is none,
 * and a global `Buffer` (the `buffer` package) when there is none and the link needs one.
 * Existing globals are never replaced. Resolves once the link has what it reads.
 */
export function ensureRealtimeGlobals(webSocketImpl?: WebSocketConstructor): Promise<void> {
  if (g.WebSocket === undefined && webSocketImpl) g.WebSocket = webSocketImpl;
  if (g.WebSocket !== undefined && (linkHasOwnBuffer || g.Buffer !== undefined)) {
    return Promise.resolve();
  }
  pending ??= (async () => {
    if (g.WebSocket === undefined) {
      const ws = await import('ws');
      g.WebSocket ??= ws.WebSocket;
    }
    if (g.Buffer === undefined && !linkHasOwnBuffer) {
      const buffer = await loadGlobalBuffer();
      if (buffer === undefined) linkHasOwnBuffer = true;
      else g.Buffer ??= buffer;
    }
  })().finally(() => {
    pending = undefined;
  });
  return pending;
}
