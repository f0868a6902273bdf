import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import type { Socket } from 'node:net';

/** The part of an HTTP/1.1 or HTTP/2 (compat API) request the endpoint uses. */
export interface Req extends AsyncIterable<Buffer> {
  url: string | undefined;
  method: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  resume(): void;
}

/** The part of an HTTP/1.1 or HTTP/2 (compat API) response the endpoint uses. */
export interface Res {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  writeHead(status: number, headers: Record<string, string | number>): void;
  flushHeaders(): void;
  write(chunk: Uint8Array): boolean;
  end(body?: string): void;
  on(event: 'close' | 'drain', fn: () => void): void;
  off(event: 'close' | 'drain', fn: () => void): void;
  destroy(): void;
  /** Tears down the whole connection (HTTP/1.1 socket or HTTP/2 session), not just the stream. */
  dropConnection(): void;
}

/** Adapts either request flavour. */
export function asRequest(req: IncomingMessage | Http2ServerRequest): Req {
  return req as unknown as Req;
}

/** Adapts either response flavour; `destroyed` and `dropConnection` differ between them. */
export function asResponse(
  res: ServerResponse | Http2ServerResponse,
  rawSocketOf: (session: Http2Session) => Socket | undefined = () => undefined,
): Res {
  const h2 = 'stream' in res ? (res as Http2ServerResponse) : undefined;
  const h1 = h2 ? undefined : (res as ServerResponse);
  return {
    get headersSent() {
      return res.headersSent;
    },
    get writableEnded() {
      return res.writableEnded;
    },
    get destroyed() {
      return h2 ? h2.stream.destroyed : (h1?.destroyed ?? true);
    },
    writeHead: (status, headers) => {
      res.writeHead(status, headers);
    },
    // HTTP/2 compat writeHead() already sends the HEADERS frame; HTTP/1.1 buffers them.
    flushHeaders: () => h1?.flushHeaders(),
    write: (chunk) => (h2 ? h2.write(chunk) : (h1 as ServerResponse).write(chunk)),
    end: (body) => {
      if (body === undefined) res.end();
      else res.end(body);
    },
    on: (event, fn) => {
      res.on(event, fn);
    },
    off: (event, fn) => {
      res.off(event, fn);
    },
    destroy: () => {
      if (h2) h2.stream.destroy();
      else h1?.destroy();
    },
    // A TCP reset, not a graceful close: a GOAWAY/FIN would let the SDK end the stream quietly.
    dropConnection: () => {
      if (h2) {
        const session = h2.stream.session;
        const raw = session ? rawSocketOf(session) : undefined;
        if (raw) raw.resetAndDestroy();
        else session?.destroy();
      } else {
        h1?.socket?.resetAndDestroy();
      }
    },
  };
}

/**
 * Drops the connection under a response (the "drop" fault). Frames already written are given a
 * moment to leave the process first, so the client sees "some tokens, then the connection died"
 * rather than nothing at all (HTTP/2 buffers in nghttp2 until the next send cycle).
 */
export async function dropConnection(res: Res): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 25));
  res.dropConnection();
}
