import { CONVERSATIONS_BY_OWNER, TABLE } from '@org/bedrock-stream-contracts';
import { RemovalPolicy, aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BedrockStreamApiProps } from './props.js';

/**
 * The streams table (stream records and chunks, counters and ledger, conversations and
 * their messages; keys per the contracts' `TABLE`): id `Streams`. Its one index,
 * `conversationsByOwner` (contracts' `CONVERSATIONS_BY_OWNER`), is sparse: only conversation
 * records carry its keys, so it holds nothing else and listing one owner's conversations
 * newest first is one Query.
 */
export function buildStreamsTable(
  scope: Construct,
  props: Pick<BedrockStreamApiProps, 'pointInTimeRecovery' | 'removalPolicy'>,
): dynamodb.Table {
  const table = new dynamodb.Table(scope, 'Streams', {
    partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: TABLE.ttlAttribute,
    pointInTimeRecoverySpecification: {
      pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true,
    },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  table.addGlobalSecondaryIndex({
    indexName: CONVERSATIONS_BY_OWNER.indexName,
    partitionKey: {
      name: CONVERSATIONS_BY_OWNER.partitionKey,
      type: dynamodb.AttributeType.STRING,
    },
    sortKey: { name: CONVERSATIONS_BY_OWNER.sortKey, type: dynamodb.AttributeType.STRING },
    // A list shows titles and models without a second read per conversation.
    projectionType: dynamodb.ProjectionType.ALL,
  });
  return table;
}
