import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What the worker's claim does to a stream record: attempt 1, RUNNING. */
export async function claimAttempt1(
  client: DynamoDBClient,
  tableName: string,
  streamId: string,
): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { pk: { S: `STREAM#${streamId}` }, sk: { S: 'META' } },
      UpdateExpression: 'SET attempt = :a, #status = :running',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':a': { N: '1' }, ':running': { S: 'RUNNING' } },
    }),
  );
}
