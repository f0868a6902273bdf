import { StreamIdSchema, once } from '@org/bedrock-stream-contracts';
// zod/mini: the method-chain build would add 450 KB to the bundle (see README, cold start).
import * as z from 'zod/mini';
import { loadConfig } from './config.js';
import { endAbandonedStream } from './abandon.js';
import { createProcessDeps, type ProcessDeps, type WorkerMetric } from './deps.js';
import { EmfMetrics } from './emf-metrics.js';
import { WorkerLogger } from './log.js';
import type { ProcessOutcome } from './outcome.js';
import { processStream } from './process-stream.js';
import { purgeConversation } from './purge.js';
import type { ServerTool } from './tools.js';

/** A stream to run: only its id (the input is in the record). */
export const StreamEventSchema = z.strictObject({ streamId: StreamIdSchema });

/** A deleted conversation to purge (deleteConversation's invoke, see purgeConversation). */
export const PurgeEventSchema = z.strictObject({
  purgeConversationId: z
    .string()
    .check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'purgeConversationId is not a conversation id')),
});

/** The Event invocation's payload: a stream to run, or a deleted conversation to purge. */
export const WorkerEventSchema = z.union([StreamEventSchema, PurgeEventSchema]);

/** The subset of the Lambda context the worker uses. */
export interface WorkerContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

const SERVICE = 'bedrock-stream-worker';
// Prompts never reach the logs: only ids, attempts, codes and counts are logged.
const logger = new WorkerLogger({ service: SERVICE });
const metrics = new EmfMetrics<WorkerMetric>({ namespace: 'BedrockStream', service: SERVICE });
let failureDeps: ProcessDeps | null = null;

function createDeps(tools: ServerTool[] = []): ProcessDeps {
  const config = loadConfig();
  return createProcessDeps(
    config,
    logger,
    config.metricsEnabled ? (name, value = 1) => metrics.addCount(name, value) : undefined,
    tools,
  );
}

/** Options of {@link createHandler}. */
export interface HandlerOptions {
  /**
   * The worker's own tools (see `defineTool`): offered to the model beside the tools a
   * client declares; the worker runs them and feeds their results back.
   */
  tools?: ServerTool[];
}

/** The Lambda handler for AppSync's `Event` invocation (see {@link createHandler}). */
export type WorkerHandler = (
  event: unknown,
  context?: WorkerContext,
) => Promise<{ outcome: ProcessOutcome | 'purged' | 'rejected' }>;

/**
 * Makes the Lambda handler for AppSync's `Event` invocation, with the given server-side
 * tools. A thin shell: validate the event, then claim -> generate (and run tools) ->
 * coalesce -> publish -> finish (processStream). Throws only to ask Lambda for a retry
 * (a failed run after output went out).
 *
 * @example
 * export const handler = createHandler({ tools: [weatherTool] });
 */
export function createHandler(options: HandlerOptions = {}): WorkerHandler {
  const tools = options.tools ?? [];
  const names = tools.map((t) => t.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`server tool '${duplicate}' is defined twice`);
  let deps: ProcessDeps | null = null;
  return async (event, context = {}) => {
    const parsed = WorkerEventSchema.safeParse(event);
    if (!parsed.success) {
      // A malformed event can never succeed: do not ask Lambda to retry it.
      logger.error('invalid worker event', { issues: parsed.error.issues.map((i) => i.message) });
      return { outcome: 'rejected' };
    }
    deps ??= createDeps(tools);
    const remaining = () => context.getRemainingTimeInMillis?.() ?? 15 * 60_000;
    if ('purgeConversationId' in parsed.data) {
      const conversationId = parsed.data.purgeConversationId;
      logger.appendKeys({ conversationId, requestId: context.awsRequestId });
      try {
        // Throws only on a DynamoDB failure: Lambda's retry purges what is left.
        await purgeConversation(deps, conversationId, {
          waitMs: Math.min(30_000, Math.max(0, remaining() - 10_000)),
        });
        return { outcome: 'purged' };
      } finally {
        logger.removeKeys(['conversationId', 'requestId']);
      }
    }
    logger.appendKeys({ streamId: parsed.data.streamId, requestId: context.awsRequestId });
    try {
      return { outcome: await processStream(deps, parsed.data.streamId, remaining) };
    } finally {
      if (deps.config.metricsEnabled) metrics.flush();
      logger.removeKeys(['streamId', 'requestId']);
    }
  };
}

/** The worker's Lambda handler without server tools: `createHandler({})`. */
export const handler: WorkerHandler = createHandler({});

// The on-failure queue's schemas are built by its function's first batch (`once`): a
// stream's cold start never builds them. The exported constant is pure, so the deployed
// bundle (handler and failureHandler only) drops its line.

/** One message of the on-failure queue: Lambda's destination record of a given-up event. */
const destinationRecordSchema = once(() =>
  z.object({
    requestContext: z.optional(
      z.object({
        condition: z.optional(z.string()),
        approximateInvokeCount: z.optional(z.number()),
      }),
    ),
    requestPayload: WorkerEventSchema,
    responsePayload: z.nullish(z.object({ errorType: z.optional(z.string()) })),
  }),
);

const failureQueueEventSchema = once(() =>
  z.object({
    Records: z.array(z.object({ messageId: z.string(), body: z.string() })),
  }),
);
/** The SQS event of the on-failure queue (only the fields used). */
export const FailureQueueEventSchema = /* @__PURE__ */ failureQueueEventSchema();

/**
 * The handler of the worker's on-failure queue (SQS, partial batch responses): each
 * message is Lambda's record of an event it gave up on; the stream gets a terminal
 * `WorkerFailed` error instead of staying RUNNING (see endAbandonedStream); a given-up
 * purge is logged. Messages
 * that are not such records are logged and dropped; a failure to end a stream is
 * reported back so SQS redelivers that message.
 */
export async function failureHandler(
  event: unknown,
): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> {
  const parsed = failureQueueEventSchema().safeParse(event);
  if (!parsed.success) {
    logger.error('invalid failure-queue event', {
      issues: parsed.error.issues.map((i) => i.message),
    });
    return { batchItemFailures: [] };
  }
  failureDeps ??= createDeps();
  const deps = failureDeps;
  const failures: Array<{ itemIdentifier: string }> = [];
  for (const message of parsed.data.Records) {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      body = null;
    }
    const record = destinationRecordSchema().safeParse(body);
    if (!record.success) {
      logger.error('failure-queue message is not a destination record', {
        messageId: message.messageId,
      });
      continue;
    }
    const { requestContext, requestPayload, responsePayload } = record.data;
    if ('purgeConversationId' in requestPayload) {
      // A purge Lambda gave up on (after its retries). This function may not delete (least
      // privilege, see infra): the conversation's streams expire by TTL, its messages stay
      // until an operator purges them (this log names it).
      logger.error('a conversation purge was given up on', {
        conversationId: requestPayload.purgeConversationId,
        messageId: message.messageId,
      });
      continue;
    }
    const reason = `${requestContext?.condition ?? 'failed'} after ${requestContext?.approximateInvokeCount ?? '?'} run(s) (${responsePayload?.errorType ?? 'no error type'})`;
    try {
      await endAbandonedStream(deps, requestPayload.streamId, reason);
    } catch (error) {
      logger.error('could not end an abandoned stream', {
        streamId: requestPayload.streamId,
        code: (error as Error).name,
      });
      failures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures: failures };
}
