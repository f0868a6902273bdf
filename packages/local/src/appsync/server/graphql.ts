import {
  execute,
  GraphQLError,
  getNamedType,
  parse,
  print,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type ExecutionResult as GraphQLResult,
  type FieldNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type {
  ContextInput,
  DataSourceRegistry,
  ExecutionResult,
  LoadedResolver,
} from '../runtime/index.js';
import { executeResolver } from '../runtime/index.js';
import type { AuthMode, Caller } from './auth.js';
import type { EmulatedSchema } from './schema.js';

/** An error entry as AppSync returns it. */
export interface AppSyncErrorEntry {
  path?: ReadonlyArray<string | number>;
  data?: unknown;
  errorType: string;
  errorInfo?: unknown;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  message: string;
}

/** Everything a request's resolvers need. */
export interface RequestContext {
  caller: Caller;
  headers: Record<string, string>;
  domainName: string | null;
  /** Filled by subscription resolvers (setSubscriptionFilter). */
  resolverOutcome?: ExecutionResult;
}

export interface Engine {
  schema: EmulatedSchema;
  /**
   * Valid operations by query text (see {@link prepare}). Parsing and validating is the
   * emulator's largest CPU cost per request, and clients send the same few documents.
   */
  prepared?: Map<string, PreparedOperation>;
  resolvers: Map<string, LoadedResolver>;
  dataSources: DataSourceRegistry;
  env: Record<string, string>;
  defaultMode: AuthMode;
}

function selectionList(set: SelectionSetNode | undefined, prefix = ''): string[] {
  const out: string[] = [];
  for (const sel of set?.selections ?? []) {
    if (sel.kind !== 'Field') continue;
    const name = prefix + sel.name.value;
    out.push(name);
    out.push(...selectionList(sel.selectionSet, `${name}/`));
  }
  return out;
}

function toGraphQLError(error: {
  message: string;
  errorType: string;
  data?: unknown;
  errorInfo?: unknown;
}): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: {
      errorType: error.errorType,
      data: error.data ?? null,
      errorInfo: error.errorInfo ?? null,
    },
  });
}

/** Runs the field's APPSYNC_JS resolver, after AppSync's per-field auth check. */
export function fieldResolver(engine: Engine): GraphQLFieldResolver<unknown, RequestContext> {
  return async (source, args, context, info: GraphQLResolveInfo) => {
    const field = info.parentType.getFields()[info.fieldName]!;
    const allowed = engine.schema.allowedModes(info.parentType, field, engine.defaultMode);
    if (!allowed.has(context.caller.mode)) {
      throw toGraphQLError({
        message: `Not Authorized to access ${info.fieldName} on type ${info.parentType.name}`,
        errorType: 'Unauthorized',
      });
    }
    const resolver = engine.resolvers.get(`${info.parentType.name}.${info.fieldName}`);
    if (!resolver) {
      if (source && typeof source === 'object')
        return (source as Record<string, unknown>)[info.fieldName];
      return null;
    }
    const node = info.fieldNodes[0];
    const input: ContextInput = {
      arguments: args as Record<string, unknown>,
      identity: context.caller.identity,
      source: source ?? null,
      request: { headers: context.headers, domainName: context.domainName },
      info: {
        fieldName: info.fieldName,
        parentTypeName: info.parentType.name,
        variables: info.variableValues,
        selectionSetList: selectionList(node?.selectionSet),
        selectionSetGraphQL: node?.selectionSet ? print(node.selectionSet) : '',
      },
      env: engine.env,
    };
    const outcome = await executeResolver(resolver, input, engine.dataSources);
    context.resolverOutcome = outcome;
    const [first] = outcome.errors;
    if (first) throw toGraphQLError(first);
    return outcome.data;
  };
}

/** Formats graphql-js errors the way AppSync does. */
export function formatErrors(errors: ReadonlyArray<GraphQLError>): AppSyncErrorEntry[] {
  return errors.map((e) => {
    const ext = e.extensions as { errorType?: string; data?: unknown; errorInfo?: unknown };
    const entry: AppSyncErrorEntry = {
      errorType: ext.errorType ?? (e.path ? 'InternalFailure' : 'ValidationError'),
      message: e.message,
    };
    if (e.path) entry.path = e.path;
    if (e.locations) entry.locations = e.locations;
    if (e.path) {
      entry.data = ext.data ?? null;
      entry.errorInfo = ext.errorInfo ?? null;
    }
    return entry;
  });
}

/** A parsed and validated request document. */
export interface PreparedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
}

/** Valid documents kept per engine; the oldest goes first past this many. */
const PREPARED_CACHE_SIZE = 500;

/**
 * Parses and validates, reusing the result for a query text seen before (documents are
 * never mutated); returns AppSync-shaped errors instead of throwing. Only valid
 * operations are cached, so hostile queries cannot grow it beyond its bound.
 */
export function prepare(
  engine: Engine,
  query: unknown,
  operationName?: string | null,
): { ok: true; value: PreparedOperation } | { ok: false; errors: AppSyncErrorEntry[] } {
  const key = typeof query === 'string' ? `${operationName ?? ''}\n${query}` : null;
  const cached = key === null ? undefined : engine.prepared?.get(key);
  if (cached) return { ok: true, value: cached };
  const result = prepareUncached(engine, query, operationName);
  if (result.ok && key !== null) {
    const cache = (engine.prepared ??= new Map());
    if (cache.size >= PREPARED_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, result.value);
  }
  return result;
}

function prepareUncached(
  engine: Engine,
  query: unknown,
  operationName?: string | null,
): { ok: true; value: PreparedOperation } | { ok: false; errors: AppSyncErrorEntry[] } {
  if (typeof query !== 'string' || query.length === 0) {
    return {
      ok: false,
      errors: [
        { errorType: 'MalformedHttpRequestException', message: 'The query is missing or empty.' },
      ],
    };
  }
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    return {
      ok: false,
      errors: formatErrors([error as GraphQLError]).map((e) => ({
        ...e,
        errorType: 'MalformedHttpRequestException',
      })),
    };
  }
  const validation = validate(engine.schema.schema, document);
  if (validation.length) return { ok: false, errors: formatErrors(validation) };
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
  );
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations[0];
  if (!operation || (!operationName && operations.length > 1)) {
    return {
      ok: false,
      errors: [
        {
          errorType: 'ValidationError',
          message: 'An operation name is required to select one of several operations.',
        },
      ],
    };
  }
  return { ok: true, value: { document, operation } };
}

/** Executes a prepared query/mutation. */
export async function run(
  engine: Engine,
  prepared: PreparedOperation,
  variables: Record<string, unknown> | null | undefined,
  context: RequestContext,
): Promise<GraphQLResult> {
  return execute({
    schema: engine.schema.schema,
    document: prepared.document,
    operationName: prepared.operation.name?.value,
    variableValues: variables ?? {},
    contextValue: context,
    fieldResolver: fieldResolver(engine),
    // Subscriptions are resolved by the real-time handler, never executed here.
  });
}

/** Root fields of an operation with their response keys (aliases). */
export function rootFields(operation: OperationDefinitionNode): FieldNode[] {
  return operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === 'Field');
}

/** Fragment definitions of a document, by name. */
export type Fragments = Record<string, FragmentDefinitionNode>;

export function fragmentsOf(document: DocumentNode): Fragments {
  const out: Fragments = {};
  for (const d of document.definitions) if (d.kind === 'FragmentDefinition') out[d.name.value] = d;
  return out;
}

/** The fields of a selection set, with fragment spreads and inline fragments expanded. */
export function collectFields(
  selection: SelectionSetNode | undefined,
  fragments: Fragments,
): FieldNode[] {
  const out: FieldNode[] = [];
  for (const sel of selection?.selections ?? []) {
    if (sel.kind === 'Field') out.push(sel);
    else if (sel.kind === 'InlineFragment') out.push(...collectFields(sel.selectionSet, fragments));
    else {
      const fragment = fragments[sel.name.value];
      if (fragment) out.push(...collectFields(fragment.selectionSet, fragments));
    }
  }
  return out;
}

/**
 * Projects a mutation's selected response onto a subscriber's selection: only fields
 * the subscriber asked for, and of those only what the mutation selected (else null).
 */
export function project(
  value: unknown,
  selection: SelectionSetNode | undefined,
  typeName: string,
  fragments: Fragments = {},
): unknown {
  if (!selection || value === null || typeof value !== 'object') return value ?? null;
  if (Array.isArray(value)) return value.map((v) => project(v, selection, typeName, fragments));
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of collectFields(selection, fragments)) {
    const key = field.alias?.value ?? field.name.value;
    if (field.name.value === '__typename') out[key] = typeName;
    else
      out[key] = project(source[field.name.value] ?? null, field.selectionSet, typeName, fragments);
  }
  return out;
}

export { getNamedType };
