import type { SelectionSetNode } from 'graphql';
import type { WebSocket } from 'ws';
import type { Caller } from '../auth.js';
import type { Fragments } from '../graphql.js';
import type { Endpoint } from '../options.js';
import type { StatsRecorder } from '../stats.js';

/** One started subscription: what it matches and how its data is shaped. */
export interface Subscription {
  id: string;
  connection: RealtimeConnection;
  fieldName: string;
  /** Arguments a mutation's result must equal (null/undefined ones match anything). */
  args: Record<string, unknown>;
  selection: SelectionSetNode | undefined;
  responseKey: string;
  fragments: Fragments;
  /** Enhanced filters its resolver set. */
  filters: unknown[];
  /** A data message held back by reorder fault injection. */
  held: string | null;
}

/** An authenticated real-time socket, its subscriptions and its keep-alive. */
export class RealtimeConnection {
  readonly subscriptions = new Map<string, Subscription>();
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: WebSocket,
    readonly caller: Caller,
    /** The listener it came through (SigV4 of `start` messages is checked against it). */
    readonly endpoint: Endpoint,
    private readonly stats: StatsRecorder,
  ) {
    socket.on('close', () => this.stopKeepAlive());
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Sends a protocol message; dropped when the socket is no longer open. */
  send(message: unknown): void {
    if (!this.open) return;
    this.socket.send(JSON.stringify(message));
    this.stats.sent('control');
  }

  /** Sends an already serialized `data` message. */
  sendData(text: string): void {
    if (!this.open) return;
    this.socket.send(text);
    this.stats.sent('data');
  }

  /** Starts sending `ka` every `intervalMs` (once; later calls keep the first timer). */
  startKeepAlive(intervalMs: number): void {
    this.keepAlive ??= setInterval(() => this.send({ type: 'ka' }), intervalMs);
  }

  /** Closes the socket (clients see `code` and reconnect). */
  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  /** Drops the socket at once (emulator shutdown). */
  terminate(): void {
    this.stopKeepAlive();
    this.socket.terminate();
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }
}
