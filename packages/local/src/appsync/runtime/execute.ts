import { DataSourceError, EarlyReturn, ResolverAbort, type AppSyncError } from './errors.js';
import type { ResolverCode } from './load.js';
import { withExecution, type ExecutionState } from './util.js';

/** A data source implementation: runs the request object a resolver returned. */
export interface DataSourceImpl {
  /** @throws DataSourceError — surfaced as `ctx.error`. */
  invoke(request: unknown): Promise<unknown>;
}

/** Data source implementations by name (the names of ApiDefinition.dataSources). */
export type DataSourceRegistry = Record<string, DataSourceImpl>;

/** What a resolver sees of the request (the `ctx` fields not made by execution). */
export interface ContextInput {
  arguments: Record<string, unknown>;
  identity: Record<string, unknown> | null;
  source: unknown;
  request: { headers: Record<string, string>; domainName: string | null };
  info: {
    fieldName: string;
    parentTypeName: string;
    variables: Record<string, unknown>;
    selectionSetList: string[];
    selectionSetGraphQL: string;
  };
  env: Record<string, string>;
}

/** A loaded resolver ready to run: its code, and its data source or functions. */
export interface LoadedResolver {
  kind: 'UNIT' | 'PIPELINE';
  code: ResolverCode;
  dataSource?: string;
  functions?: Array<{ name: string; code: ResolverCode; dataSource: string }>;
}

/** The outcome of a resolver: its value, errors, and what it told the subscription engine. */
export interface ExecutionResult {
  data: unknown;
  errors: AppSyncError[];
  subscriptionFilters: unknown[];
  invalidationFilters: unknown[];
  invalidations: unknown[];
}

type Ctx = ContextInput & {
  args: Record<string, unknown>;
  stash: Record<string, unknown>;
  prev: { result: unknown };
  result: unknown;
  error: { message: string; type: string } | null;
};

function call(
  code: ResolverCode,
  handler: 'request' | 'response',
  ctx: Ctx,
  state: ExecutionState,
): unknown {
  const fn = code[handler];
  if (!fn) return handler === 'request' ? {} : ctx.result;
  return withExecution(state, () => fn(ctx));
}

async function runDataSource(
  name: string | undefined,
  request: unknown,
  dataSources: DataSourceRegistry,
  ctx: Ctx,
): Promise<void> {
  ctx.result = null;
  ctx.error = null;
  if (!name) return;
  const ds = dataSources[name];
  if (!ds) throw new Error(`no data source named '${name}' is configured`);
  try {
    ctx.result = await ds.invoke(request);
  } catch (error) {
    if (error instanceof DataSourceError) {
      ctx.error = { message: error.message, type: error.type };
      ctx.result = error.result;
    } else ctx.error = { message: (error as Error).message, type: 'InternalFailure' };
  }
}

/**
 * Runs a UNIT or PIPELINE resolver with AppSync's semantics: request -> data source ->
 * response (per function for pipelines, sharing `stash`, passing `prev.result`);
 * util.error aborts with a field error, runtime.earlyReturn skips ahead.
 */
export async function executeResolver(
  resolver: LoadedResolver,
  input: ContextInput,
  dataSources: DataSourceRegistry,
): Promise<ExecutionResult> {
  const state: ExecutionState = {
    fieldName: input.info.fieldName,
    parentTypeName: input.info.parentTypeName,
    appendedErrors: [],
    subscriptionFilters: [],
    invalidationFilters: [],
    invalidations: [],
  };
  const ctx: Ctx = {
    ...input,
    args: input.arguments,
    stash: {},
    prev: { result: null },
    result: null,
    error: null,
  };
  const done = (data: unknown, extra: AppSyncError[] = []): ExecutionResult => ({
    data,
    errors: [...state.appendedErrors, ...extra],
    subscriptionFilters: state.subscriptionFilters,
    invalidationFilters: state.invalidationFilters,
    invalidations: state.invalidations,
  });
  try {
    if (resolver.kind === 'UNIT') {
      let request: unknown;
      try {
        request = call(resolver.code, 'request', ctx, state);
      } catch (e) {
        if (e instanceof EarlyReturn) return done(e.value);
        throw e;
      }
      await runDataSource(resolver.dataSource, request, dataSources, ctx);
      return done(call(resolver.code, 'response', ctx, state));
    }
    try {
      ctx.prev.result = call(resolver.code, 'request', ctx, state);
    } catch (e) {
      if (e instanceof EarlyReturn) return done(e.value);
      throw e;
    }
    for (const fn of resolver.functions ?? []) {
      let request: unknown;
      try {
        request = call(fn.code, 'request', ctx, state);
      } catch (e) {
        if (e instanceof EarlyReturn) {
          ctx.prev.result = e.value;
          continue;
        }
        throw e;
      }
      await runDataSource(fn.dataSource, request, dataSources, ctx);
      ctx.prev.result = call(fn.code, 'response', ctx, state);
    }
    ctx.result = ctx.prev.result;
    return done(call(resolver.code, 'response', ctx, state));
  } catch (e) {
    if (e instanceof ResolverAbort) return done(null, [e.error]);
    if (e instanceof EarlyReturn) return done(e.value);
    return done(null, [{ message: (e as Error).message, errorType: 'InternalFailure' }]);
  }
}
