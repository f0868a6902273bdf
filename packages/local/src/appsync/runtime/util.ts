import { randomUUID } from 'node:crypto';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ResolverAbort, EarlyReturn, type AppSyncError } from './errors.js';

/** Per-execution state the injected `util`/`extensions` write to. */
export interface ExecutionState {
  fieldName: string;
  parentTypeName: string;
  appendedErrors: AppSyncError[];
  subscriptionFilters: unknown[];
  invalidationFilters: unknown[];
  invalidations: unknown[];
}

// Resolver handlers are synchronous, so one "current execution" slot is enough: it
// is set right before each handler call and read by the injected utilities.
let current: ExecutionState | null = null;

export function withExecution<T>(state: ExecutionState, run: () => T): T {
  const previous = current;
  current = state;
  try {
    return run();
  } finally {
    current = previous;
  }
}

function state(): ExecutionState {
  if (!current) throw new Error('APPSYNC_JS utility called outside a resolver handler');
  return current;
}

/** util.matches: a whole-string match (Java semantics), `(?s)` turned into the `s` flag. */
export function matches(pattern: string, value: string): boolean {
  let flags = '';
  let source = pattern;
  if (source.startsWith('(?s)')) {
    flags = 's';
    source = source.slice(4);
  }
  return new RegExp(`^(?:${source})$`, flags).test(value);
}

type FilterOperators = Record<string, unknown>;

/** util.transform.toSubscriptionFilter: `{field: {op: value}}` (+ `or`/`and`) to AppSync's filter JSON. */
export function toSubscriptionFilter(input: Record<string, unknown>): {
  filterGroup: Array<{ filters: unknown[] }>;
} {
  const groups: Array<Record<string, unknown>> = Array.isArray(input['or'])
    ? (input['or'] as Array<Record<string, unknown>>)
    : [input];
  return {
    filterGroup: groups.map((group) => {
      const parts = Array.isArray(group['and'])
        ? (group['and'] as Array<Record<string, unknown>>)
        : [group];
      const filters: unknown[] = [];
      for (const part of parts) {
        for (const [fieldName, ops] of Object.entries(part)) {
          if (fieldName === 'and' || fieldName === 'or') continue;
          for (const [operator, value] of Object.entries(ops as FilterOperators)) {
            filters.push({ fieldName, operator, value });
          }
        }
      }
      return { filters };
    }),
  };
}

function toDynamoDB(value: unknown): unknown {
  return marshall({ v: value }, { removeUndefinedValues: true, convertEmptyValues: false })['v'];
}

/** The `util` object injected into APPSYNC_JS code. */
export const util = {
  error(message: string, errorType?: string, data?: unknown, errorInfo?: unknown): never {
    throw new ResolverAbort({
      message,
      errorType: errorType ?? 'CustomTemplateException',
      data,
      errorInfo,
    });
  },
  appendError(message: string, errorType?: string, data?: unknown, errorInfo?: unknown): void {
    state().appendedErrors.push({
      message,
      errorType: errorType ?? 'CustomTemplateException',
      data,
      errorInfo,
    });
  },
  unauthorized(): never {
    const s = state();
    throw new ResolverAbort({
      message: `Not Authorized to access ${s.fieldName} on type ${s.parentTypeName}`,
      errorType: 'Unauthorized',
    });
  },
  autoId: (): string => randomUUID(),
  matches,
  isNull: (v: unknown): boolean => v === null || v === undefined,
  isNullOrEmpty: (v: unknown): boolean => v === null || v === undefined || v === '',
  defaultIfNull: <T>(v: T | null | undefined, d: T): T => (v === null || v === undefined ? d : v),
  escapeJavaScript: (v: string): string => JSON.stringify(v).slice(1, -1),
  urlEncode: (v: string): string => encodeURIComponent(v),
  urlDecode: (v: string): string => decodeURIComponent(v),
  base64Encode: (v: string): string => Buffer.from(v, 'utf8').toString('base64'),
  base64Decode: (v: string): string => Buffer.from(v, 'base64').toString('utf8'),
  time: {
    nowISO8601: (): string => new Date().toISOString(),
    nowEpochSeconds: (): number => Math.floor(Date.now() / 1000),
    nowEpochMilliSeconds: (): number => Date.now(),
    parseISO8601ToEpochMilliSeconds: (v: string): number => {
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) throw new Error(`not an ISO 8601 date-time: ${v}`);
      return ms;
    },
  },
  dynamodb: {
    toDynamoDB,
    toMapValues: (values: Record<string, unknown>): Record<string, unknown> =>
      marshall(values, { removeUndefinedValues: true }) as Record<string, unknown>,
    toString: (v: string) => ({ S: v }),
    toNumber: (v: number) => ({ N: String(v) }),
    toBoolean: (v: boolean) => ({ BOOL: v }),
    toNull: () => ({ NULL: true }),
    toMap: (v: Record<string, unknown>) => ({ M: marshall(v, { removeUndefinedValues: true }) }),
    toList: (v: unknown[]) => toDynamoDB(v),
    fromDynamoDB: (v: Record<string, unknown>): unknown =>
      (unmarshall({ v } as unknown as Parameters<typeof unmarshall>[0]) as Record<string, unknown>)[
        'v'
      ],
  },
  transform: { toSubscriptionFilter },
};

/** The `extensions` object injected into APPSYNC_JS code. */
export const extensions = {
  setSubscriptionFilter(filter: unknown): void {
    state().subscriptionFilters.push(filter);
  },
  setSubscriptionInvalidationFilter(filter: unknown): void {
    state().invalidationFilters.push(filter);
  },
  invalidateSubscriptions(invalidation: unknown): void {
    state().invalidations.push(invalidation);
  },
};

/** The `runtime` object injected into APPSYNC_JS code. */
export const runtime = {
  earlyReturn(value?: unknown): never {
    throw new EarlyReturn(value ?? null);
  },
};
