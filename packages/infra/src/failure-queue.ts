import type { aws_lambda as lambda } from 'aws-cdk-lib';
import {
  Duration,
  RemovalPolicy,
  aws_lambda_destinations as destinations,
  aws_lambda_event_sources as eventSources,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { suppressNag } from './nag.js';

/**
 * The on-failure queue (id `FailedStreams`): where the worker's invocation events go
 * after Lambda's last retry, or when too old.
 */
export function buildFailureQueue(scope: Construct, removalPolicy?: RemovalPolicy): sqs.Queue {
  const queue = new sqs.Queue(scope, 'FailedStreams', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    // At least six times the consumer's timeout, as AWS advises for Lambda consumers.
    visibilityTimeout: Duration.minutes(6),
    removalPolicy: removalPolicy ?? RemovalPolicy.RETAIN,
  });
  suppressNag(queue, [
    {
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter destination of the worker's async invocations; its consumer reports failures per message, so SQS redelivers those for the 14-day retention, and the alarm fires on every message sent.",
    },
  ]);
  return queue;
}

/**
 * Lambda's async invocation of the worker: up to `retryAttempts` retries, then the event
 * goes to the queue, whose consumer (`failureHandler`) ends each given-up stream.
 */
export function routeFailuresToQueue(wiring: {
  worker: lambda.Function;
  failureHandler: lambda.Function;
  queue: sqs.IQueue;
  retryAttempts: number;
  maxEventAge: Duration;
}): void {
  wiring.worker.configureAsyncInvoke({
    retryAttempts: wiring.retryAttempts,
    maxEventAge: wiring.maxEventAge,
    onFailure: new destinations.SqsDestination(wiring.queue),
  });
  wiring.failureHandler.addEventSource(
    new eventSources.SqsEventSource(wiring.queue, {
      batchSize: 10,
      reportBatchItemFailures: true,
    }),
  );
}
