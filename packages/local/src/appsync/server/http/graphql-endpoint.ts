import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthError, Authenticator, Caller } from '../auth.js';
import type { Fanout } from '../fanout.js';
import {
  formatErrors,
  fragmentsOf,
  prepare,
  rootFields,
  run,
  type AppSyncErrorEntry,
  type Engine,
  type RequestContext,
} from '../graphql.js';
import type { Endpoint } from '../options.js';
import type { StatsRecorder } from '../stats.js';
import { headerRecord, readBody, replyJson, utf8 } from './body.js';

/** What a GraphQL request needs. */
export interface GraphqlEndpointDeps {
  engine: Engine;
  authenticator: Authenticator;
  fanout: Fanout;
  stats: StatsRecorder;
  maxBodyBytes: number;
  log: (line: Record<string, unknown>) => void;
}

const refusal = (errorType: string, message: string) => ({ errors: [{ errorType, message }] });

/**
 * `POST /graphql` as AppSync answers it: body limits, UTF-8 and JSON checks, the
 * caller's auth, queries and mutations (subscriptions belong to the real-time
 * endpoint); each mutation's result is then fanned out to its subscribers.
 */
export async function handleGraphqlRequest(
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: Endpoint,
  deps: GraphqlEndpointDeps,
): Promise<void> {
  const reply = (status: number, body: unknown) =>
    replyJson(res, status, body, 'application/json; charset=UTF-8');
  const started = Date.now();
  const bytes = await readBody(req, deps.maxBodyBytes);
  if (bytes === null) {
    reply(
      413,
      refusal('PayloadTooLargeException', `Request body exceeds ${deps.maxBodyBytes} bytes.`),
    );
    req.resume();
    return;
  }
  // Bytes that are not UTF-8 would otherwise turn into U+FFFD and reach resolvers as text.
  const body = utf8(bytes);
  if (body === null) {
    reply(400, refusal('MalformedHttpRequestException', 'The request body is not valid UTF-8.'));
    return;
  }
  let parsed: { query?: unknown; variables?: unknown; operationName?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
    if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
  } catch {
    reply(400, refusal('MalformedHttpRequestException', 'The request body is not valid JSON.'));
    return;
  }
  const headers = headerRecord(req);
  let caller: Caller;
  try {
    caller = await deps.authenticator.authenticate({
      method: 'POST',
      url: endpoint.graphqlUrl,
      headers,
      body,
    });
  } catch (error) {
    const e = error as AuthError;
    reply(401, refusal(e.errorType ?? 'UnauthorizedException', e.message));
    deps.log({ kind: 'http', status: 401, errorType: e.errorType, ms: Date.now() - started });
    return;
  }
  const prepared = prepare(
    deps.engine,
    parsed.query,
    typeof parsed.operationName === 'string' ? parsed.operationName : null,
  );
  if (!prepared.ok) {
    reply(400, { data: null, errors: prepared.errors });
    return;
  }
  const { operation } = prepared.value;
  if (operation.operation === 'subscription') {
    reply(400, refusal('ValidationError', 'Subscriptions are served on the real-time endpoint.'));
    return;
  }
  if (
    parsed.variables !== undefined &&
    parsed.variables !== null &&
    typeof parsed.variables !== 'object'
  ) {
    reply(400, refusal('MalformedHttpRequestException', 'variables must be an object.'));
    return;
  }
  const context: RequestContext = { caller, headers, domainName: null };
  const variables = parsed.variables as Record<string, unknown>;
  const result = await run(deps.engine, prepared.value, variables, context);
  const fields = rootFields(operation);
  const kind = operation.operation === 'mutation' ? 'mutation' : 'query';
  for (const f of fields) deps.stats.operation(kind, f.name.value);
  if (kind === 'mutation' && result.data) {
    const fragments = fragmentsOf(prepared.value.document);
    for (const f of fields)
      deps.fanout.publish(f, result.data[f.alias?.value ?? f.name.value], fragments);
  }
  const out: { data: unknown; errors?: AppSyncErrorEntry[] } = { data: result.data ?? null };
  if (result.errors?.length) out.errors = formatErrors(result.errors);
  reply(200, out);
  deps.log({
    kind: 'http',
    op: operation.operation,
    fields: fields.map((f) => f.name.value),
    mode: caller.mode,
    errors: out.errors?.length ?? 0,
    ms: Date.now() - started,
  });
}
