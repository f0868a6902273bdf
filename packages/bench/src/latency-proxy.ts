// A TCP proxy that adds a network's round-trip time between a client and the local
// AppSync emulator: every byte waits half the RTT in each direction (order kept), and a new
// connection's first bytes wait one more RTT, as TCP's handshake costs before data flows.
// What the first-token scenario measures through it is round trips, not local speed.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A running latency proxy. */
export interface LatencyProxy {
  /** `url` (the target's) with the proxy's host and port instead. */
  urlFor(url: string): string;
  /** Connections accepted so far (a cold client opens new ones). */
  connections(): number;
  close(): Promise<void>;
}

/** Forwards `from` to `to`, each chunk `delayMs` later, in order. */
function pipeDelayed(from: Socket, to: Socket, delayMs: () => number): void {
  let last = 0;
  from.on('data', (chunk: Buffer) => {
    // Same delay for every chunk keeps their order; `last` guards a clock step back.
    const due = Math.max(Date.now() + delayMs(), last);
    last = due;
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, due - Date.now());
  });
  from.on('end', () => setTimeout(() => to.end(), Math.max(0, last - Date.now())));
  from.on('error', () => to.destroy());
}

/** Starts a proxy to `targetUrl`'s host and port with `rttMs` of round-trip time. */
export async function startLatencyProxy(targetUrl: string, rttMs: number): Promise<LatencyProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connect(Number(target.port || 80), target.hostname);
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // The handshake's round trip: the client's first bytes leave one RTT later.
    let first = true;
    pipeDelayed(client, upstream, () => {
      const extra = first ? rttMs : 0;
      first = false;
      return rttMs / 2 + extra;
    });
    pipeDelayed(upstream, client, () => rttMs / 2);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('latency proxy has no port');
  return {
    urlFor(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(address.port);
      return u.toString();
    },
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
