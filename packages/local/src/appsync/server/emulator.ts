import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kind } from 'graphql';
import { Authenticator } from './auth.js';
import { loadEngine } from './engine.js';
import { Fanout } from './fanout.js';
import { FaultInjector, type SubscriptionFaults } from './faults.js';
import type { AdminControls } from './http/admin.js';
import { createRequestListener } from './http/routes.js';
import { limitsOf, type AppSyncEmulatorOptions, type Endpoint } from './options.js';
import { createRealtimeAcceptor } from './realtime/handshake.js';
import { handleMessage } from './realtime/protocol.js';
import { ConnectionRegistry } from './realtime/registry.js';
import { StatsRecorder, type EmulatorStats } from './stats.js';

export type { AppSyncEmulatorOptions, EmulatorApiDefinition } from './options.js';
export type { EmulatorStats } from './stats.js';
export type { SubscriptionFaults } from './faults.js';

/** A running emulator. */
export interface AppSyncEmulator {
  graphqlUrl: string;
  realtimeUrl: string;
  port: number;
  setFaults(faults: SubscriptionFaults): void;
  closeAllConnections(): void;
  /**
   * Test hook: fans `value` out to the subscriptions `mutationField` triggers, as if that
   * mutation had returned it, bypassing its resolver (e.g. a payload a resolver would
   * refuse, to test that clients reject it).
   */
  injectMutationResult(mutationField: string, value: Record<string, unknown>): void;
  stats(): EmulatorStats;
  resetStats(): void;
  close(): Promise<void>;
}

/**
 * Starts a local AppSync emulator: HTTP GraphQL at `/graphql`, AppSync's real-time
 * protocol at `/graphql/realtime`, APPSYNC_JS resolvers from `definition`, auth per
 * AppSync's modes and directives, `@aws_subscribe` fan-out with filters.
 */
export async function startAppSyncEmulator(
  options: AppSyncEmulatorOptions,
): Promise<AppSyncEmulator> {
  const engine = await loadEngine(options);
  const authenticator = new Authenticator(options.auth);
  const limits = limitsOf(options);
  const log = options.log ?? (() => {});
  const stats = new StatsRecorder();
  const faults = new FaultInjector();
  const registry = new ConnectionRegistry();
  const fanout = new Fanout({
    schema: engine.schema,
    registry,
    faults,
    stats,
    maxPayloadBytes: limits.maxPayloadBytes,
  });
  const controls: AdminControls = {
    stats: () =>
      stats.snapshot({ connections: registry.size, subscriptions: registry.subscriptionCount() }),
    closeAllConnections: () => registry.closeAll(1001, 'closed by emulator'),
    setFaults: (next) => faults.set(next),
  };
  const realtime = createRealtimeAcceptor({
    authenticator,
    registry,
    stats,
    log,
    onMessage: (connection, text) =>
      handleMessage(connection, text, {
        engine,
        authenticator,
        maxSubscriptionsPerConnection: limits.maxSubscriptionsPerConnection,
        keepAliveMs: limits.keepAliveMs,
        connectionTimeoutMs: limits.connectionTimeoutMs,
      }),
  });

  const host = options.host ?? '127.0.0.1';
  const endpoint: Endpoint = { graphqlUrl: '' };
  const server = createServer(
    createRequestListener(endpoint, {
      graphql: { engine, authenticator, fanout, stats, maxBodyBytes: limits.maxBodyBytes, log },
      admin: controls,
    }),
  );
  server.on('upgrade', realtime.upgradeListener(endpoint));
  const port = await listen(server, options.port ?? 0, host);
  endpoint.graphqlUrl = `http://${host}:${port}/graphql`;

  return {
    graphqlUrl: endpoint.graphqlUrl,
    realtimeUrl: `${endpoint.graphqlUrl.replace(/^http/, 'ws')}/realtime`,
    port,
    setFaults: controls.setFaults,
    closeAllConnections: controls.closeAllConnections,
    injectMutationResult(mutationField, value) {
      fanout.publish(
        { kind: Kind.FIELD, name: { kind: Kind.NAME, value: mutationField } },
        value,
        {},
      );
    },
    stats: controls.stats,
    resetStats: () => stats.reset(),
    async close() {
      registry.terminateAll();
      realtime.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return (server.address() as AddressInfo).port;
}
