import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { DataSourceError, type DataSourceImpl } from '../runtime/index.js';

type AttributeMap = Record<string, AttributeValue>;

const Expression = z.object({
  expression: z.string(),
  expressionNames: z.record(z.string(), z.string()).optional(),
  expressionValues: z.record(z.string(), z.unknown()).optional(),
});
const Condition = Expression.extend({ equalsIgnore: z.array(z.string()).optional() });
const Key = z.record(z.string(), z.unknown());

// AppSync's DynamoDB request objects (the subset this emulator implements).
const Request = z.discriminatedUnion('operation', [
  z.object({ operation: z.literal('GetItem'), key: Key, consistentRead: z.boolean().optional() }),
  z.object({
    operation: z.literal('PutItem'),
    key: Key,
    attributeValues: Key.optional(),
    condition: Condition.optional(),
  }),
  z.object({
    operation: z.literal('UpdateItem'),
    key: Key,
    update: Expression,
    condition: Condition.optional(),
  }),
  z.object({ operation: z.literal('DeleteItem'), key: Key, condition: Condition.optional() }),
  z.object({
    operation: z.literal('Query'),
    query: Expression,
    filter: Expression.optional().nullable(),
    index: z.string().optional(),
    limit: z.number().int().positive().optional(),
    nextToken: z.string().optional().nullable(),
    scanIndexForward: z.boolean().optional(),
    consistentRead: z.boolean().optional(),
  }),
]);

function merge(...parts: Array<z.infer<typeof Expression> | undefined | null>) {
  const names: Record<string, string> = {};
  const values: AttributeMap = {};
  for (const part of parts) {
    Object.assign(names, part?.expressionNames ?? {});
    Object.assign(values, (part?.expressionValues ?? {}) as AttributeMap);
  }
  return {
    ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
    ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
  };
}

function plain(item: AttributeMap | undefined): Record<string, unknown> | null {
  return item ? unmarshall(item) : null;
}

function fail(error: unknown): never {
  const name = (error as Error).name || 'InternalServerError';
  throw new DataSourceError((error as Error).message || name, `DynamoDB:${name}`);
}

function sameIgnoring(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  ignore: string[],
): boolean {
  const strip = (o: Record<string, unknown>) =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(o)
          .filter(([k]) => !ignore.includes(k))
          .sort(([x], [y]) => x.localeCompare(y)),
      ),
    );
  return strip(a) === strip(b);
}

/**
 * An AMAZON_DYNAMODB data source: AppSync request objects (GetItem, PutItem, UpdateItem,
 * DeleteItem, Query) run through the real DynamoDB client. Failures surface as
 * `DynamoDB:<ExceptionName>` errors, like AppSync's.
 */
export function createDynamoDbDataSource(options: {
  client: DynamoDBClient;
  tableName: string;
}): DataSourceImpl {
  const { client, tableName: TableName } = options;
  return {
    async invoke(raw) {
      const parsed = Request.safeParse(raw);
      if (!parsed.success) {
        throw new DataSourceError(
          `invalid DynamoDB request: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
          'DynamoDB:ValidationException',
        );
      }
      const request = parsed.data;
      switch (request.operation) {
        case 'GetItem': {
          const out = await client
            .send(
              new GetItemCommand({
                TableName,
                Key: request.key as AttributeMap,
                ConsistentRead: request.consistentRead,
              }),
            )
            .catch(fail);
          return plain(out.Item);
        }
        case 'PutItem': {
          const Item = {
            ...(request.attributeValues as AttributeMap),
            ...(request.key as AttributeMap),
          };
          try {
            await client.send(
              new PutItemCommand({
                TableName,
                Item,
                ConditionExpression: request.condition?.expression,
                ...merge(request.condition),
              }),
            );
            return unmarshall(Item);
          } catch (error) {
            // AppSync: a failed condition is a success when the stored item already
            // equals the desired one (ignoring `equalsIgnore`) — idempotent retries.
            if ((error as Error).name === 'ConditionalCheckFailedException' && request.condition) {
              const current = await client
                .send(
                  new GetItemCommand({
                    TableName,
                    Key: request.key as AttributeMap,
                    ConsistentRead: true,
                  }),
                )
                .catch(fail);
              const stored = plain(current.Item);
              if (
                stored &&
                sameIgnoring(stored, unmarshall(Item), request.condition.equalsIgnore ?? [])
              )
                return stored;
            }
            return fail(error);
          }
        }
        case 'UpdateItem': {
          const out = await client
            .send(
              new UpdateItemCommand({
                TableName,
                Key: request.key as AttributeMap,
                UpdateExpression: request.update.expression,
                ConditionExpression: request.condition?.expression,
                ReturnValues: 'ALL_NEW',
                ...merge(request.update, request.condition),
              }),
            )
            .catch(fail);
          return plain(out.Attributes);
        }
        case 'DeleteItem': {
          const out = await client
            .send(
              new DeleteItemCommand({
                TableName,
                Key: request.key as AttributeMap,
                ConditionExpression: request.condition?.expression,
                ReturnValues: 'ALL_OLD',
                ...merge(request.condition),
              }),
            )
            .catch(fail);
          return plain(out.Attributes);
        }
        case 'Query': {
          const out = await client
            .send(
              new QueryCommand({
                TableName,
                IndexName: request.index,
                KeyConditionExpression: request.query.expression,
                FilterExpression: request.filter?.expression,
                Limit: request.limit,
                ScanIndexForward: request.scanIndexForward,
                ConsistentRead: request.consistentRead,
                ExclusiveStartKey: request.nextToken
                  ? (JSON.parse(
                      Buffer.from(request.nextToken, 'base64url').toString('utf8'),
                    ) as AttributeMap)
                  : undefined,
                ...merge(request.query, request.filter),
              }),
            )
            .catch(fail);
          return {
            items: (out.Items ?? []).map((i) => unmarshall(i)),
            nextToken: out.LastEvaluatedKey
              ? Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url')
              : null,
            scannedCount: out.ScannedCount ?? 0,
          };
        }
      }
    },
  };
}
