import WebSocket from 'ws';

const QUERY =
  'subscription S($streamId: ID!) { onStreamChunk(streamId: $streamId) { streamId attempt seq payload createdAt } }';

/** One raw AppSync real-time connection (API key), cheaper than an Apollo client per subscriber. */
export interface RawSubscriber {
  received: Array<{ seq: number; attempt: number; createdAt: string; at: number }>;
  subscribe(streamId: string): Promise<void>;
  close(): void;
}

export async function connect(
  realtimeUrl: string,
  graphqlUrl: string,
  apiKey: string,
): Promise<RawSubscriber> {
  const auth = { host: new URL(graphqlUrl).host, 'x-api-key': apiKey };
  const socket = new WebSocket(realtimeUrl, [
    'graphql-ws',
    `header-${Buffer.from(JSON.stringify(auth)).toString('base64url')}`,
  ]);
  const received: RawSubscriber['received'] = [];
  const waiters = new Map<string, (ok: boolean) => void>();
  let acked!: () => void;
  const ack = new Promise<void>((r) => (acked = r));
  socket.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as {
      type: string;
      id?: string;
      payload?: { data?: { onStreamChunk?: { seq: number; attempt: number; createdAt: string } } };
    };
    if (m.type === 'connection_ack') acked();
    else if (m.type === 'start_ack' || m.type === 'error')
      waiters.get(m.id ?? '')?.(m.type === 'start_ack');
    else if (m.type === 'data' && m.payload?.data?.onStreamChunk)
      received.push({ ...m.payload.data.onStreamChunk, at: Date.now() });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await ack;
  let n = 0;
  return {
    received,
    async subscribe(streamId) {
      const id = `s${(n += 1)}`;
      const ok = new Promise<boolean>((r) => waiters.set(id, r));
      socket.send(
        JSON.stringify({
          id,
          type: 'start',
          payload: {
            data: JSON.stringify({ query: QUERY, variables: { streamId } }),
            extensions: { authorization: auth },
          },
        }),
      );
      if (!(await ok)) throw new Error('subscription rejected');
    },
    close: () => socket.close(),
  };
}
