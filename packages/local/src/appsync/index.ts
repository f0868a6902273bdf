/**
 * A general local AppSync emulator: schema + APPSYNC_JS resolvers + data sources,
 * AppSync's auth modes and real-time protocol.
 */
export { startAppSyncEmulator } from './server/emulator.js';
export type {
  AppSyncEmulator,
  AppSyncEmulatorOptions,
  EmulatorApiDefinition,
  EmulatorStats,
  EmulatorTlsOptions,
  EmulatorUrls,
  SubscriptionFaults,
} from './server/emulator.js';
export type { AuthConfig, AuthMode, LocalIamCredentials } from './server/auth.js';
export * from './runtime/index.js';
export * from './datasources/index.js';
export { postGraphQL, signAppSyncRequest } from './http-client.js';
export type { GraphQLResponse } from './http-client.js';
