import { aws_appsync as appsync, aws_iam as iam } from 'aws-cdk-lib';
import type { aws_logs as logs, aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { conversationPartitionKey, streamPartitionKey } from '@org/bedrock-stream-contracts';
import { suppressNag } from './nag.js';

/** What a role of the worker bundle may do. */
export interface WorkerRoleGrants {
  description: string;
  /** Its function's own log group: the only one it may write. */
  logGroup: logs.ILogGroup;
  /** Its stream records: GetItem and UpdateItem on this table only. */
  table: dynamodb.ITable;
  /** `publishChunk` on this API only. */
  api: appsync.GraphqlApi;
  /**
   * The worker only: purge deleted conversations (deleteConversation's `purgeConversationId`
   * event): DeleteItem/BatchWriteItem on conversation and stream items, nothing else.
   */
  purgeConversations?: boolean;
  /** Bedrock models it may invoke (the worker); none for the failure handler. */
  modelArns?: readonly string[];
  /** The one guardrail it may apply (the worker, when configured). */
  guardrailArn?: string;
}

/**
 * A least-privilege role for a function of the worker bundle, with all its policies:
 * no managed policy; logs only to its own log group; claim/heartbeat/finish its stream
 * record; call only the `publishChunk` field; invoke only the allowed models (if any) and
 * apply only the configured guardrail (if any).
 * Wiring the function to its queue later adds the queue statement CDK derives from it
 * (`sqs:SendMessage` for the on-failure destination, receive/delete for the consumer).
 */
export function buildWorkerRole(scope: Construct, id: string, grants: WorkerRoleGrants): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: grants.description,
  });
  grants.logGroup.grantWrite(role);
  role.addToPolicy(
    new iam.PolicyStatement({
      // A stream's end is a TransactWriteItems of updates (record, quota counters, usage
      // ledger, and for a conversation turn its answer message and the conversation record):
      // IAM checks each item's UpdateItem. Query reads a dead run's stored chunks and a
      // turn's history (CONV#<id> items); GetItem the conversation record.
      actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      resources: [grants.table.tableArn],
    }),
  );
  if (grants.purgeConversations)
    role.addToPolicy(
      new iam.PolicyStatement({
        // Purging a deleted conversation removes its messages (CONV#<id>) and the streams
        // they name (STREAM#<id>: records and chunks), in batches; never an owner's counters
        // or ledger (OWNER#...), which no delete may touch.
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'],
        resources: [grants.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': [conversationPartitionKey('*'), streamPartitionKey('*')],
          },
        },
      }),
    );
  if (grants.modelArns) grantModels(role, grants.modelArns);
  if (grants.guardrailArn)
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:ApplyGuardrail'],
        resources: [grants.guardrailArn],
      }),
    );
  grants.api.grant(role, appsync.IamResource.ofType('Mutation', 'publishChunk'), 'appsync:GraphQL');
  return role;
}

function grantModels(role: iam.Role, modelArns: readonly string[]): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      // ConverseStream is authorized as InvokeModelWithResponseStream.
      actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      resources: [...modelArns],
    }),
  );
  if (modelArns.some((arn) => arn.includes(':bedrock:*::foundation-model/'))) {
    suppressNag(role.node.findChild('DefaultPolicy'), [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'A cross-region inference profile serves each request from one of several regions, so its named foundation model must be allowed in every region; the model id itself is not a wildcard.',
        appliesTo: [
          { regex: '/^Resource::arn:<AWS::Partition>:bedrock:\\*::foundation-model\\/[^*]+$/' },
        ],
      },
    ]);
  }
}
