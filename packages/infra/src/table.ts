import { TABLE } from '@org/bedrock-stream-contracts';
import { RemovalPolicy, aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BedrockStreamApiProps } from './props.js';

/** The streams table (records and chunks, keys per the contracts' `TABLE`): id `Streams`. */
export function buildStreamsTable(
  scope: Construct,
  props: Pick<BedrockStreamApiProps, 'pointInTimeRecovery' | 'removalPolicy'>,
): dynamodb.Table {
  return new dynamodb.Table(scope, 'Streams', {
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
}
