import type { DataSourceRegistry } from '../runtime/index.js';
import type { AuthConfig } from './auth.js';

/** The wiring the emulator runs (the shape of the resolvers package's ApiDefinition). */
export interface EmulatorApiDefinition {
  functions: Record<string, { dataSource: string; codeFile: string }>;
  resolvers: Array<{
    typeName: string;
    fieldName: string;
    kind: 'UNIT' | 'PIPELINE';
    dataSource?: string;
    functions?: string[];
    codeFile: string;
  }>;
}

/** Options of {@link startAppSyncEmulator}. */
export interface AppSyncEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** SDL files, concatenated (AWS built-ins first, then the API's schema). */
  schemaFiles?: string[];
  /** Or the SDL itself. */
  schemaSdl?: string;
  definition: EmulatorApiDefinition;
  dataSources: DataSourceRegistry;
  auth: AuthConfig;
  /** AppSync environment variables (`ctx.env`). */
  environmentVariables?: Record<string, string>;
  /** Interval of `ka` messages. Default 60 s. */
  keepAliveMs?: number;
  /** Sent in connection_ack. Default 300 000 (AppSync's). */
  connectionTimeoutMs?: number;
  /** Max HTTP body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Max subscriptions per connection. Default 100 (AppSync's default). */
  maxSubscriptionsPerConnection?: number;
  /** Max subscription message payload. Default 240 KB (AppSync's). */
  maxPayloadBytes?: number;
  /** One JSON line per request to this function (never secrets or variables). */
  log?: (line: Record<string, unknown>) => void;
  /**
   * Also serve GraphQL and real-time over HTTPS/WSS (what AppSync serves), on a port of
   * its own, for clients that only dial `wss://` (Amplify JS) or pages served over https.
   */
  tls?: EmulatorTlsOptions;
}

/** The TLS listener's certificate chain, key (PEM) and port. */
export interface EmulatorTlsOptions {
  cert: string;
  key: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

/** The emulator's limits, defaults applied (AppSync's where it has one). */
export interface EmulatorLimits {
  maxBodyBytes: number;
  maxSubscriptionsPerConnection: number;
  maxPayloadBytes: number;
  keepAliveMs: number;
  connectionTimeoutMs: number;
}

export function limitsOf(options: AppSyncEmulatorOptions): EmulatorLimits {
  return {
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection ?? 100,
    maxPayloadBytes: options.maxPayloadBytes ?? 240 * 1024,
    keepAliveMs: options.keepAliveMs ?? 60_000,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 300_000,
  };
}

/**
 * Where one listener of the emulator is reached. Filled in once it listens (the port may
 * be ephemeral); handlers read it per request. SigV4 verification recomputes signatures
 * against this URL.
 */
export interface Endpoint {
  graphqlUrl: string;
}
