import { Duration, aws_cloudwatch as cloudwatch, type aws_sqs as sqs } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Alarms (id `FailedStreamsAlarm`) when a worker event is given up on: every message
 * sent to the failure queue is a given-up stream (the consumer empties the queue quickly).
 */
export function buildFailureAlarm(
  scope: Construct,
  queue: sqs.Queue,
  actions: readonly cloudwatch.IAlarmAction[] = [],
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, 'FailedStreamsAlarm', {
    alarmDescription:
      'A stream exhausted its worker retries or expired; its invocation event went to the on-failure queue and the stream was ended with a WorkerFailed error.',
    metric: queue.metricNumberOfMessagesSent({
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.SUM,
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  for (const action of actions) alarm.addAlarmAction(action);
  return alarm;
}
