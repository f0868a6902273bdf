import type { AuthError, Authenticator, Caller } from '../auth.js';
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
import type { RealtimeConnection, Subscription } from './connection.js';

/** What a `start` message needs besides its connection. */
export interface SubscribeDeps {
  engine: Engine;
  authenticator: Authenticator;
  maxSubscriptionsPerConnection: number;
}

type StartErrors = AppSyncErrorEntry[] | Array<{ errorType: string; message: string }>;

const refuse = (errorType: string, message: string): { errors: StartErrors } => ({
  errors: [{ errorType, message }],
});

/**
 * Handles a `start` message as AppSync does: checks the payload and its own
 * authorization, validates the subscription, runs its resolver (which may set enhanced
 * filters) and registers it on the connection. Answers `start_ack` or an `error`.
 */
export async function startSubscription(
  connection: RealtimeConnection,
  id: string | undefined,
  rawPayload: unknown,
  deps: SubscribeDeps,
): Promise<void> {
  const outcome = id
    ? await subscription(connection, id, rawPayload, deps)
    : refuse('ValidationError', 'start needs an id.');
  if ('errors' in outcome) {
    connection.send({ type: 'error', id, payload: { errors: outcome.errors } });
    return;
  }
  connection.subscriptions.set(outcome.id, outcome);
  connection.send({ type: 'start_ack', id });
}

async function subscription(
  connection: RealtimeConnection,
  id: string,
  rawPayload: unknown,
  deps: SubscribeDeps,
): Promise<Subscription | { errors: StartErrors }> {
  const max = deps.maxSubscriptionsPerConnection;
  if (connection.subscriptions.size >= max)
    return refuse('MaxSubscriptionsReachedError', `Max number of ${max} subscriptions reached`);
  const payload = rawPayload as
    { data?: unknown; extensions?: { authorization?: Record<string, string> } } | undefined;
  if (typeof payload?.data !== 'string')
    return refuse('ValidationError', 'start payload.data must be a JSON string.');
  const authorization = payload.extensions?.authorization;
  if (!authorization || typeof authorization !== 'object')
    return refuse('UnauthorizedException', 'start payload has no extensions.authorization.');
  let caller: Caller;
  try {
    caller = await deps.authenticator.authenticate({
      method: 'POST',
      url: connection.endpoint.graphqlUrl,
      headers: authorization,
      body: payload.data,
    });
  } catch (error) {
    return refuse(
      (error as AuthError).errorType ?? 'UnauthorizedException',
      (error as Error).message,
    );
  }
  let request: { query?: unknown; variables?: unknown; operationName?: unknown };
  try {
    request = JSON.parse(payload.data) as typeof request;
  } catch {
    return refuse('ValidationError', 'start payload.data is not valid JSON.');
  }
  const prepared = prepare(
    deps.engine,
    request.query,
    typeof request.operationName === 'string' ? request.operationName : null,
  );
  if (!prepared.ok) return { errors: prepared.errors };
  const { operation } = prepared.value;
  const [field] = rootFields(operation);
  if (operation.operation !== 'subscription' || !field)
    return refuse('ValidationError', 'Only subscriptions are served on the real-time endpoint.');
  const context: RequestContext = { caller, headers: authorization, domainName: null };
  const variables = request.variables as Record<string, unknown>;
  const result = await run(deps.engine, prepared.value, variables, context);
  if (result.errors?.length) return { errors: formatErrors(result.errors) };
  const args: Record<string, unknown> = {};
  for (const arg of field.arguments ?? []) {
    args[arg.name.value] =
      arg.value.kind === 'Variable'
        ? (variables ?? {})[arg.value.name.value]
        : 'value' in arg.value
          ? arg.value.value
          : undefined;
  }
  return {
    id,
    connection,
    fieldName: field.name.value,
    args,
    selection: field.selectionSet,
    responseKey: field.alias?.value ?? field.name.value,
    fragments: fragmentsOf(prepared.value.document),
    filters: context.resolverOutcome?.subscriptionFilters ?? [],
    held: null,
  };
}
