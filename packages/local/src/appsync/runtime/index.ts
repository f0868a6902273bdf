/**
 * APPSYNC_JS runtime: loads bundled resolver files and runs unit and pipeline
 * resolvers with the emulator's `util`, `extensions` and `runtime`.
 */
export { loadResolverCode } from './load.js';
export type { ResolverCode } from './load.js';
export { executeResolver } from './execute.js';
export type {
  ContextInput,
  DataSourceImpl,
  DataSourceRegistry,
  ExecutionResult,
  LoadedResolver,
} from './execute.js';
export { DataSourceError, type AppSyncError } from './errors.js';
export { util, extensions, runtime, toSubscriptionFilter, matches } from './util.js';
