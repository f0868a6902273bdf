import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AuthError, Authenticator, Caller } from '../auth.js';
import type { Endpoint } from '../options.js';
import type { StatsRecorder } from '../stats.js';
import { RealtimeConnection } from './connection.js';
import type { ConnectionRegistry } from './registry.js';

/** The real-time endpoint's path, under every listener. */
export const REALTIME_PATH = '/graphql/realtime';

/** What accepting a connection needs. */
export interface HandshakeDeps {
  authenticator: Authenticator;
  registry: ConnectionRegistry;
  stats: StatsRecorder;
  log: (line: Record<string, unknown>) => void;
  /** Handles each message of an accepted connection, in order of arrival. */
  onMessage: (connection: RealtimeConnection, text: string | null) => Promise<void>;
}

/** Accepts WebSocket upgrades on {@link REALTIME_PATH} of any number of listeners. */
export interface RealtimeAcceptor {
  /** An `upgrade` listener for a server reached at `endpoint`. */
  upgradeListener(endpoint: Endpoint): (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  close(): void;
}

function decodeHeader(encoded: string): Record<string, string> | null {
  try {
    const value = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, string>)
      : null;
  } catch {
    return null;
  }
}

/** The handshake's auth header, from either form AppSync accepts. */
function handshakeHeader(req: IncomingMessage, url: URL): Record<string, string> | null {
  // `header-<base64url>` subprotocol (current clients), or `?header=<base64>` (older ones).
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const encoded =
    offered.find((p) => p.startsWith('header-'))?.slice('header-'.length) ??
    url.searchParams.get('header');
  return encoded ? decodeHeader(encoded) : null;
}

function connectionError(ws: WebSocket, errorType: string, message: string, errorCode = 401) {
  ws.send(
    JSON.stringify({
      type: 'connection_error',
      payload: { errors: [{ errorType, message, errorCode }] },
    }),
  );
  ws.close(1000);
}

/**
 * The real-time handshake: the `graphql-ws` subprotocol, the auth header verified as
 * AppSync does (as a request to `<graphqlUrl>/connect`), a `connection_error` and close
 * when it fails; accepted connections join the registry.
 */
export function createRealtimeAcceptor(deps: HandshakeDeps): RealtimeAcceptor {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('graphql-ws') ? 'graphql-ws' : false),
  });

  const dispatch = (connection: RealtimeConnection, text: string | null) =>
    void deps.onMessage(connection, text).catch((error: unknown) =>
      connection.send({
        type: 'error',
        payload: {
          errors: [{ errorType: 'InternalFailure', message: (error as Error).message }],
        },
      }),
    );

  const accept = async (ws: WebSocket, req: IncomingMessage, url: URL, endpoint: Endpoint) => {
    // Clients send connection_init as soon as the socket opens, while the handshake is
    // still being verified (SigV4/JWT are async): hold messages until it is.
    const early: Array<string | null> = [];
    let connection: RealtimeConnection | null = null;
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      if (connection) dispatch(connection, text);
      else early.push(text);
    });
    ws.on('error', () => ws.terminate());
    const header = handshakeHeader(req, url);
    if (!header) {
      connectionError(ws, 'UnauthorizedException', 'The connection request has no valid header.');
      return;
    }
    let caller: Caller;
    try {
      caller = await deps.authenticator.authenticate({
        method: 'POST',
        url: `${endpoint.graphqlUrl}/connect`,
        headers: header,
        body: '{}',
      });
    } catch (error) {
      const errorType = (error as AuthError).errorType;
      deps.log({ kind: 'ws', event: 'connection_error', errorType });
      connectionError(ws, errorType ?? 'UnauthorizedException', (error as Error).message);
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    connection = new RealtimeConnection(ws, caller, endpoint, deps.stats);
    deps.registry.add(connection);
    for (const text of early.splice(0)) dispatch(connection, text);
  };

  return {
    upgradeListener: (endpoint) => (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://local');
      if (url.pathname !== REALTIME_PATH) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => void accept(ws, req, url, endpoint));
    },
    close: () => wss.close(),
  };
}
