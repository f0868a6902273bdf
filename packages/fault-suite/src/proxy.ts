// A TCP proxy that behaves like a bad mobile network between a client and the local
// AppSync emulator: it cuts WebSockets a while after they open, loses HTTP requests before
// they reach the server or their responses after the server acted on them, and goes fully
// offline on demand. It reads just enough HTTP/1.1 (request heads and Content-Length) to
// tell one request from the next on a keep-alive connection; everything else is bytes.
import { Buffer } from 'node:buffer';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { prng } from '@org/bedrock-stream-local';

/** One HTTP request as the proxy sees it. */
export interface ProxyRequest {
  method: string;
  path: string;
  /** The GraphQL operation name (`StartStream`, `GetStream`, ...) when the body names one. */
  operation: string | null;
  body: string;
}

/** What happens to a request: passed on, lost on the way in, or its response lost. */
export type RequestFate = 'forward' | 'drop-request' | 'drop-response';

/** The faults the proxy injects; rates are per HTTP request, drawn from a seeded PRNG. */
export interface ProxyFaults {
  /** Cut each WebSocket this long after its upgrade request, uniform in [min, max] ms. */
  cutWebSocketsAfterMs?: readonly [number, number] | null;
  /**
   * Every byte a WebSocket sends (its upgrade, `connection_init`, `start`...) reaches the
   * server this much later: subscriptions go live late while HTTP requests are not slowed.
   */
  webSocketDelayMs?: number;
  /** Share of requests lost before they reach the server (the connection is reset). */
  dropRequestRate?: number;
  /** Share of requests whose response is lost after the server acted on them. */
  dropResponseRate?: number;
  /** Decides a request's fate before the rates; `undefined` leaves it to them. */
  decide?: (request: ProxyRequest) => RequestFate | undefined;
  /** PRNG seed of the rates and cut times. Default 1. */
  seed?: number;
}

/** What the proxy did. */
export interface ProxyStats {
  connections: number;
  httpRequests: number;
  requestsDropped: number;
  responsesDropped: number;
  webSockets: number;
  webSocketsCut: number;
  /** Connections reset at once, or cut, because the proxy was offline. */
  offlineResets: number;
  /** Dropped requests and responses per GraphQL operation name. */
  dropsByOperation: Record<string, number>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** The next complete request in `buffer`, or null while it is still arriving. */
function nextRequest(
  buffer: Buffer,
): { bytes: Buffer; request: ProxyRequest; upgrade: boolean; chunked: boolean } | null {
  const headEnd = buffer.indexOf(HEAD_END);
  if (headEnd < 0) return null;
  const head = buffer.subarray(0, headEnd).toString('latin1');
  const [requestLine = '', ...headerLines] = head.split('\r\n');
  const [method = '', path = ''] = requestLine.split(' ');
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const upgrade = headers.get('upgrade')?.toLowerCase() === 'websocket';
  const chunked = /chunked/i.test(headers.get('transfer-encoding') ?? '');
  const length = upgrade || chunked ? 0 : Number(headers.get('content-length') ?? 0);
  const total = headEnd + HEAD_END.length + length;
  if (buffer.length < total) return null;
  const body = buffer.subarray(headEnd + HEAD_END.length, total).toString('utf8');
  return {
    bytes: buffer.subarray(0, upgrade || chunked ? buffer.length : total),
    request: { method, path, operation: operationOf(body), body },
    upgrade,
    chunked,
  };
}

function operationOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { operationName?: unknown; query?: unknown };
    if (typeof parsed.operationName === 'string') return parsed.operationName;
    if (typeof parsed.query === 'string') {
      return /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(parsed.query)?.[1] ?? null;
    }
  } catch {
    // Not JSON: no operation to name.
  }
  return null;
}

const emptyStats = (): ProxyStats => ({
  connections: 0,
  httpRequests: 0,
  requestsDropped: 0,
  responsesDropped: 0,
  webSockets: 0,
  webSocketsCut: 0,
  offlineResets: 0,
  dropsByOperation: {},
});

/** A fault-injecting TCP proxy in front of one HTTP + WebSocket server. */
export class FaultProxy {
  private faults: ProxyFaults = {};
  private random = prng(1);
  private offline = false;
  private counters = emptyStats();
  /** Cuts each open connection (client side and server side at once). */
  private readonly open = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Listens on an ephemeral loopback port in front of `targetUrl`'s host and port. */
  static async start(targetUrl: string, faults: ProxyFaults = {}): Promise<FaultProxy> {
    const url = new URL(targetUrl);
    const target = { host: url.hostname, port: Number(url.port || 80) };
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('proxy has no port');
    const proxy = new FaultProxy(server, address.port, target);
    server.on('connection', (socket: Socket) => proxy.accept(socket));
    proxy.setFaults(faults);
    return proxy;
  }

  /** `url` (the target's) with the proxy's host and port instead. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Replaces the faults (and reseeds). */
  setFaults(faults: ProxyFaults): void {
    this.faults = faults;
    this.random = prng(faults.seed ?? 1);
  }

  /** The network is gone: every open connection is cut, new ones are reset at once. */
  goOffline(): void {
    this.offline = true;
    for (const cut of [...this.open]) {
      this.counters.offlineResets += 1;
      cut();
    }
  }

  /** The network is back. */
  goOnline(): void {
    this.offline = false;
  }

  stats(): ProxyStats {
    return { ...this.counters, dropsByOperation: { ...this.counters.dropsByOperation } };
  }

  resetStats(): void {
    this.counters = emptyStats();
  }

  async close(): Promise<void> {
    for (const cut of [...this.open]) cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.counters.connections += 1;
    if (this.offline) {
      this.counters.offlineResets += 1;
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const both = [client, upstream];
    const cut = () => {
      this.open.delete(cut);
      for (const socket of both) socket.destroy();
    };
    this.open.add(cut);
    for (const socket of both) {
      socket.on('error', cut);
      socket.on('close', cut);
    }
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());

    let pending = Buffer.alloc(0);
    let raw = false; // after a WebSocket upgrade (or a body we cannot frame): bytes only
    let loseNextResponse: string | null = null;
    let wsTimer: ReturnType<typeof setTimeout> | undefined;
    client.on('close', () => clearTimeout(wsTimer));

    upstream.on('data', (data: Buffer) => {
      if (loseNextResponse !== null) {
        this.counters.responsesDropped += 1;
        this.countDrop(loseNextResponse);
        cut();
        return;
      }
      client.write(data);
    });

    // WebSocket bytes toward the server, late by `webSocketDelayMs` (one delay for all: in order).
    const toServer = (data: Buffer) => {
      const delay = this.faults.webSocketDelayMs ?? 0;
      if (delay <= 0) upstream.write(data);
      else setTimeout(() => upstream.destroyed || upstream.write(data), delay);
    };
    client.on('data', (data: Buffer) => {
      if (raw) {
        toServer(data);
        return;
      }
      pending = Buffer.concat([pending, data]);
      for (let next = nextRequest(pending); next; next = raw ? null : nextRequest(pending)) {
        pending = pending.subarray(next.bytes.length);
        if (next.upgrade || next.chunked) {
          raw = true;
          if (next.upgrade) toServer(Buffer.from(next.bytes));
          else upstream.write(next.bytes);
          if (next.upgrade) wsTimer = this.scheduleWebSocketCut(cut);
          continue;
        }
        this.counters.httpRequests += 1;
        const fate = this.fateOf(next.request);
        if (fate === 'drop-request') {
          this.counters.requestsDropped += 1;
          this.countDrop(next.request.operation ?? next.request.path);
          cut();
          return;
        }
        if (fate === 'drop-response')
          loseNextResponse = next.request.operation ?? next.request.path;
        upstream.write(next.bytes);
      }
    });
  }

  private fateOf(request: ProxyRequest): RequestFate {
    const decided = this.faults.decide?.(request);
    if (decided) return decided;
    const r = this.random();
    const lost = this.faults.dropRequestRate ?? 0;
    if (r < lost) return 'drop-request';
    if (r < lost + (this.faults.dropResponseRate ?? 0)) return 'drop-response';
    return 'forward';
  }

  private scheduleWebSocketCut(cut: () => void): ReturnType<typeof setTimeout> | undefined {
    this.counters.webSockets += 1;
    const range = this.faults.cutWebSocketsAfterMs;
    if (!range) return undefined;
    const [min, max] = range;
    return setTimeout(
      () => {
        this.counters.webSocketsCut += 1;
        cut();
      },
      min + this.random() * (max - min),
    );
  }

  private countDrop(operation: string): void {
    const counts = this.counters.dropsByOperation;
    counts[operation] = (counts[operation] ?? 0) + 1;
  }
}
