import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Kind } from 'graphql';
import { Authenticator } from './auth.js';
import { loadEngine } from './engine.js';
import { Fanout } from './fanout.js';
import { FaultInjector, type SubscriptionFaults } from './faults.js';
import type { AdminControls } from './http/admin.js';
import { createRequestListener } from './http/routes.js';
import {
  limitsOf,
  type AppSyncEmulatorOptions,
  type EmulatorTlsOptions,
  type Endpoint,
} from './options.js';
import { createRealtimeAcceptor } from './realtime/handshake.js';
import { handleMessage } from './realtime/protocol.js';
import { ConnectionRegistry } from './realtime/registry.js';
import { StatsRecorder, type EmulatorStats } from './stats.js';

export type {
  AppSyncEmulatorOptions,
  EmulatorApiDefinition,
  EmulatorTlsOptions,
} from './options.js';
export type { EmulatorStats } from './stats.js';
export type { SubscriptionFaults } from './faults.js';

/** Where one listener of the emulator is reached. */
export interface EmulatorUrls {
  /** `https://<host>:<port>/graphql` */
  graphqlUrl: string;
  /** `wss://<host>:<port>/graphql/realtime` */
  realtimeUrl: string;
  port: number;
}

/** A running emulator. */
export interface AppSyncEmulator {
  graphqlUrl: string;
  realtimeUrl: string;
  port: number;
  /** The HTTPS/WSS listener, when `tls` was given. */
  tls: EmulatorUrls | null;
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
  // Every listener serves the same API; each knows its own URL (self-description, SigV4).
  const servers: Server[] = [];
  const serve = async (port: number, tls?: EmulatorTlsOptions): Promise<EmulatorUrls> => {
    const scheme = tls ? 'https' : 'http';
    const endpoint: Endpoint = { graphqlUrl: '' };
    const listener: RequestListener = createRequestListener(endpoint, {
      graphql: { engine, authenticator, fanout, stats, maxBodyBytes: limits.maxBodyBytes, log },
      admin: controls,
    });
    const server = tls
      ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener)
      : createServer(listener);
    server.on('upgrade', realtime.upgradeListener(endpoint));
    const bound = await listen(server, port, host);
    servers.push(server);
    endpoint.graphqlUrl = `${scheme}://${urlHost(host)}:${bound}/graphql`;
    return {
      graphqlUrl: endpoint.graphqlUrl,
      realtimeUrl: `${endpoint.graphqlUrl.replace(/^http/, 'ws')}/realtime`,
      port: bound,
    };
  };
  const close = async () => {
    registry.terminateAll();
    realtime.close();
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
  let plain: EmulatorUrls;
  let secure: EmulatorUrls | null = null;
  try {
    plain = await serve(options.port ?? 0);
    if (options.tls) secure = await serve(options.tls.port ?? 0, options.tls);
  } catch (error) {
    await close();
    throw error;
  }

  return {
    ...plain,
    tls: secure,
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
    close,
  };
}

/** Listens, or rejects with the listen error (a port in use) instead of crashing. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** An IPv6 literal is bracketed in a URL. */
const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);
