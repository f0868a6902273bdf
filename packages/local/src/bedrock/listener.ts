import { createServer } from 'node:http';
import { createServer as createHttp2Server, type Http2Session } from 'node:http2';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { asRequest, asResponse, type Req, type Res } from './http.js';

/** A TCP listener serving HTTP/1.1 and cleartext HTTP/2 on one port. */
export interface DualProtocolListener {
  /** `http://host:port` (IPv6 hosts bracketed). */
  url: string;
  port: number;
  /** Destroys every connection and closes the listener. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` and hands every request, whichever protocol it came over, to `handle`.
 *
 * The SDK's Node runtime speaks HTTP/2 (h2c with prior knowledge on http:// endpoints), while
 * curl/fetch speak HTTP/1.1, so one TCP listener sniffs the connection preface and hands each
 * socket to the matching server.
 */
export async function listenHttp1And2(
  handle: (req: Req, res: Res) => void,
  { port, host }: { port: number; host: string },
): Promise<DualProtocolListener> {
  const h1 = createServer((req, res) => handle(asRequest(req), asResponse(res)));
  const rawSockets = new WeakMap<Http2Session, Socket>();
  let connecting: Socket | undefined;
  const h2 = createHttp2Server((req, res) =>
    handle(
      asRequest(req),
      asResponse(res, (s) => rawSockets.get(s)),
    ),
  );
  const sessions = new Set<Http2Session>();
  h2.on('session', (session) => {
    // Emitted synchronously from emit('connection'), so `connecting` is this session's socket.
    if (connecting) rawSockets.set(session, connecting);
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) return;
      socket.off('data', onData);
      socket.pause();
      if (head.toString('latin1', 0, 3) === 'PRI') {
        // nghttp2 reads the native handle directly, so unshifted bytes would be lost: hand it a
        // Duplex that replays the sniffed bytes and then relays the socket.
        connecting = socket;
        h2.emit('connection', replaySocket(socket, head));
        connecting = undefined;
      } else {
        socket.unshift(head);
        h1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      h1.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** A Duplex over `socket` whose readable side starts with the already-consumed `head`. */
function replaySocket(socket: Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  duplex.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}
