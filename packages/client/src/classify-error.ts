// The one place that decides whether a failed operation may succeed when tried again.
// Every retry loop of the client (HTTP operations, the subscription) asks here, so a
// throttled start and a throttled catch-up are treated alike.
import { StreamClientError } from './errors.js';

/** What kind of failure an error is. */
export type ErrorKind =
  /** The request or its response was lost: reset, refused, cut, DNS, offline. */
  | 'network'
  /** No answer in time (request timeout, subscription not acknowledged). */
  | 'timeout'
  /** The service failed (HTTP 5xx, InternalFailure, ServiceUnavailable). */
  | 'server'
  /** The service or its table asked us to slow down (429, Throttling*, ProvisionedThroughput*). */
  | 'throttled'
  /** The request was refused for what it is (validation, auth, not found, conflict, quota). */
  | 'rejected';

/** The verdict on one error. */
export interface ErrorClass {
  kind: ErrorKind;
  /** Whether the same request may succeed when sent again. */
  retryable: boolean;
  /** A short name for summaries: `network error`, `HTTP 503`, `ThrottlingException`, ... */
  label: string;
}

/** AppSync / DynamoDB / Lambda error types that say "try again later". */
const THROTTLED_TYPE =
  /Throttl|TooManyRequests|ProvisionedThroughputExceeded|RequestLimitExceeded/i;
const SERVER_TYPE =
  /InternalFailure|InternalServerError|InternalError|ServiceUnavailable|ServiceException|TransactionConflict/i;
/** Network failures as fetch (undici, browsers), ws and the AppSync subscription link word them. */
const NETWORK_MESSAGE =
  /fetch failed|failed to fetch|networkerror|network error|load failed|socket hang up|other side closed|terminated|ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|connection closed|connection handshake|connection failed|closed before|timeout disconnect/i;
const TIMEOUT_MESSAGE = /timed? ?out|not acknowledged|aborted due to timeout/i;
/** `"errorType":"X"` inside a message: how the subscription link passes a server error on. */
const EMBEDDED_TYPE = /"errorType"\s*:\s*"([^"]+)"/g;
/** `Connection failed: UnauthorizedException`: the link's wording of a refused handshake. */
const TRAILING_TYPE = /:\s*([A-Z][A-Za-z]+(?::[A-Za-z]+)?)\s*$/;

/** Names of JavaScript's own errors: never a service's error type. */
const JS_ERROR_NAMES = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'AbortError',
  'TimeoutError',
]);

interface Facts {
  errorTypes: string[];
  statusCodes: number[];
  messages: string[];
  names: string[];
  graphQLErrors: number;
}

/** Walks an error, its `cause` chain and nested `errors` lists (Apollo, the links, AggregateError). */
function collect(err: unknown, facts: Facts, depth = 0): void {
  if (err == null || depth > 6) return;
  if (typeof err === 'string') {
    facts.messages.push(err);
    return;
  }
  if (typeof err !== 'object') return;
  const e = err as Record<string, unknown>;
  if (typeof e['errorType'] === 'string') facts.errorTypes.push(e['errorType']);
  for (const key of ['statusCode', 'status']) {
    if (typeof e[key] === 'number') facts.statusCodes.push(e[key]);
  }
  if (typeof e['message'] === 'string') facts.messages.push(e['message']);
  if (typeof e['name'] === 'string') facts.names.push(e['name']);
  if (typeof e['code'] === 'string') facts.messages.push(e['code']);
  if (Array.isArray(e['errors'])) {
    facts.graphQLErrors += e['errors'].length;
    for (const inner of e['errors']) collect(inner, facts, depth + 1);
  }
  if ('cause' in e) collect(e['cause'], facts, depth + 1);
  if ('networkError' in e) collect(e['networkError'], facts, depth + 1);
}

function typesIn(facts: Facts): string[] {
  const types = [...facts.errorTypes];
  for (const message of facts.messages) {
    for (const match of message.matchAll(EMBEDDED_TYPE)) types.push(match[1]!);
    const trailing = TRAILING_TYPE.exec(message)?.[1];
    if (
      trailing &&
      !JS_ERROR_NAMES.has(trailing) &&
      /Exception|Error|Unauthorized|NotFound|Forbidden|Denied/.test(trailing)
    ) {
      types.push(trailing);
    }
  }
  return types;
}

/**
 * Classifies anything an operation threw.
 *
 * Retryable: network failures (the request or its response lost), timeouts, HTTP 5xx / 429 /
 * 408, and error types of throttling (`Throttling*`, `TooManyRequests*`,
 * `ProvisionedThroughputExceeded*`) or of a failing service (`InternalFailure`,
 * `ServiceUnavailable*`). Not retryable: any other error type the service names
 * (`ValidationError`, `Unauthorized*`, `NotFound`, `ConflictError`, `QuotaExceeded`, ...),
 * other HTTP 4xx, and GraphQL errors without a type (a malformed operation). A
 * {@link StreamClientError} keeps the verdict it was made with. A failure with nothing to go
 * on (no status, no type, no known wording) counts as a network failure: it happened below
 * GraphQL, and the retry budget bounds the cost of being wrong.
 */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof StreamClientError) {
    const inner = err.cause === undefined ? null : classifyError(err.cause);
    if (inner && inner.retryable === err.retryable) return inner;
    return {
      kind: err.retryable ? (inner?.kind ?? 'network') : 'rejected',
      retryable: err.retryable,
      label: inner?.label ?? err.code,
    };
  }
  const facts: Facts = {
    errorTypes: [],
    statusCodes: [],
    messages: [],
    names: [],
    graphQLErrors: 0,
  };
  collect(err, facts);
  const types = typesIn(facts);
  const refused = types.find((t) => !THROTTLED_TYPE.test(t) && !SERVER_TYPE.test(t));
  if (refused) return { kind: 'rejected', retryable: false, label: refused };
  const throttled = types.find((t) => THROTTLED_TYPE.test(t));
  if (throttled) return { kind: 'throttled', retryable: true, label: throttled };
  const failed = types.find((t) => SERVER_TYPE.test(t));
  if (failed) return { kind: 'server', retryable: true, label: failed };
  const status = facts.statusCodes.find((s) => s >= 400);
  if (status !== undefined) {
    if (status === 429) return { kind: 'throttled', retryable: true, label: 'HTTP 429' };
    if (status >= 500) return { kind: 'server', retryable: true, label: `HTTP ${status}` };
    if (status === 408) return { kind: 'timeout', retryable: true, label: 'HTTP 408' };
    return { kind: 'rejected', retryable: false, label: `HTTP ${status}` };
  }
  if (facts.names.some((n) => n === 'TimeoutError' || n === 'AbortError')) {
    return { kind: 'timeout', retryable: true, label: 'timeout' };
  }
  const text = facts.messages.join(' | ');
  if (TIMEOUT_MESSAGE.test(text)) return { kind: 'timeout', retryable: true, label: 'timeout' };
  if (NETWORK_MESSAGE.test(text) || facts.names.includes('TypeError')) {
    return { kind: 'network', retryable: true, label: 'network error' };
  }
  // A GraphQL answer with errors but no type: the operation itself is wrong.
  if (facts.graphQLErrors > 0)
    return { kind: 'rejected', retryable: false, label: 'GraphQL error' };
  return { kind: 'network', retryable: true, label: 'network error' };
}
