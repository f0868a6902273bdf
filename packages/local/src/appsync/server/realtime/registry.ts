import type { RealtimeConnection, Subscription } from './connection.js';

/** The open real-time connections, which the fan-out and the admin routes walk. */
export class ConnectionRegistry {
  private readonly connections = new Set<RealtimeConnection>();

  add(connection: RealtimeConnection): void {
    this.connections.add(connection);
    connection.socket.on('close', () => this.connections.delete(connection));
  }

  get size(): number {
    return this.connections.size;
  }

  /** Every started subscription, connection by connection. */
  *subscriptions(): Generator<Subscription> {
    for (const connection of this.connections) yield* connection.subscriptions.values();
  }

  subscriptionCount(): number {
    let n = 0;
    for (const connection of this.connections) n += connection.subscriptions.size;
    return n;
  }

  /** Closes every connection with `code` (clients reconnect). */
  closeAll(code: number, reason: string): void {
    for (const connection of this.connections) connection.close(code, reason);
  }

  /** Drops every connection at once. */
  terminateAll(): void {
    for (const connection of this.connections) connection.terminate();
  }
}
