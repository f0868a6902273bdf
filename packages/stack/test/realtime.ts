// A raw AppSync real-time client (the protocol in DESIGN.md), for tests that need to
// see the wire: handshake forms, errors, and every data message.
import WebSocket from 'ws';

export interface RawSubscription {
  messages: Array<Record<string, unknown>>;
  data: Array<Record<string, unknown>>;
  socket: WebSocket;
  /** Resolves with the first start_ack or error for the subscription. */
  started: Promise<Record<string, unknown>>;
  close(): void;
}

export const SUBSCRIPTION = `subscription OnStreamChunk($streamId: ID!) {
  onStreamChunk(streamId: $streamId) { streamId attempt seq payload createdAt }
}`;

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Opens a connection with `header` auth (subprotocol form, or `legacy` query form) and subscribes. */
export async function rawSubscribe(options: {
  realtimeUrl: string;
  connectHeader: Record<string, string>;
  startAuthorization: (data: string) => Promise<Record<string, string>> | Record<string, string>;
  streamId: string;
  legacy?: boolean;
  query?: string;
}): Promise<RawSubscription> {
  const url = options.legacy
    ? `${options.realtimeUrl}?header=${Buffer.from(JSON.stringify(options.connectHeader)).toString('base64')}&payload=e30=`
    : options.realtimeUrl;
  const protocols = options.legacy
    ? ['graphql-ws']
    : ['graphql-ws', `header-${b64url(options.connectHeader)}`];
  const socket = new WebSocket(url, protocols);
  const messages: Array<Record<string, unknown>> = [];
  const data: Array<Record<string, unknown>> = [];
  let resolveStarted!: (m: Record<string, unknown>) => void;
  const started = new Promise<Record<string, unknown>>((r) => (resolveStarted = r));
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString()) as Record<string, unknown>;
    messages.push(message);
    if (message['type'] === 'connection_ack') {
      const payload = JSON.stringify({
        query: options.query ?? SUBSCRIPTION,
        variables: { streamId: options.streamId },
      });
      void Promise.resolve(options.startAuthorization(payload)).then((authorization) =>
        socket.send(
          JSON.stringify({
            id: 'sub-1',
            type: 'start',
            payload: { data: payload, extensions: { authorization } },
          }),
        ),
      );
    }
    if (
      message['type'] === 'start_ack' ||
      message['type'] === 'error' ||
      message['type'] === 'connection_error'
    )
      resolveStarted(message);
    if (message['type'] === 'data') data.push(message);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init' }));
  return { messages, data, socket, started, close: () => socket.close() };
}
