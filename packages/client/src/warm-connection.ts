import type { StreamClientError } from './errors.js';
import type { StreamTransport } from './transport.js';

/**
 * Keeps the real-time WebSocket open between streams. The AppSync link closes its socket
 * when the last subscription ends, and a new socket costs three round trips or more
 * (TCP/TLS, `connection_init`, then `start`) before a subscription is live; on an open one
 * it costs one. A subscription to a stream id nothing ever publishes to holds the socket
 * (the owner filter would drop anything anyway) until `idleMs` pass with no stream.
 */
export class WarmConnection {
  private unsubscribe: (() => void) | null = null;
  private ready: Promise<void> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly transport: Pick<StreamTransport, 'subscribe'>,
    private readonly idleMs: number,
    private readonly newId: () => string,
  ) {}

  /**
   * Opens the connection now (or keeps the open one) and restarts the idle clock.
   * Resolves once the server acknowledged the holding subscription.
   * @throws StreamClientError when the connection cannot be made (it is tried again on the
   *   next call).
   */
  connect(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.touch();
    this.ready ??= new Promise<void>((resolve, reject) => {
      this.unsubscribe = this.transport.subscribe(this.newId(), {
        onAck: () => resolve(),
        onChunk: () => undefined,
        onError: (error: StreamClientError) => {
          // Dropped (network change, server restart): the next stream or call opens anew.
          this.release();
          reject(error);
        },
      });
    });
    return this.ready;
  }

  /** A stream started: hold the connection for it and the next one (errors are the stream's). */
  hold(): void {
    if (this.idleMs <= 0 || this.closed) return;
    this.connect().catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    this.release();
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    if (this.idleMs <= 0) return;
    this.idleTimer = setTimeout(() => this.release(), this.idleMs);
    // Never keeps a Node process alive on its own.
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  private release(): void {
    clearTimeout(this.idleTimer);
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.ready = null;
  }
}
