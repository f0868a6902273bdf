import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type AttributeValue,
  type TransactWriteItem,
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
/** A transaction item's condition: `returnValuesOnConditionCheckFailure` defaults to true. */
const TransactCondition = Expression.extend({
  returnValuesOnConditionCheckFailure: z.boolean().optional(),
});
const TransactItem = z.discriminatedUnion('operation', [
  z.object({
    table: z.string(),
    operation: z.literal('PutItem'),
    key: Key,
    attributeValues: Key.optional(),
    condition: TransactCondition.optional(),
  }),
  z.object({
    table: z.string(),
    operation: z.literal('UpdateItem'),
    key: Key,
    update: Expression,
    condition: TransactCondition.optional(),
  }),
  z.object({
    table: z.string(),
    operation: z.literal('DeleteItem'),
    key: Key,
    condition: TransactCondition.optional(),
  }),
  z.object({
    table: z.string(),
    operation: z.literal('ConditionCheck'),
    key: Key,
    condition: TransactCondition,
  }),
]);

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
  z.object({
    operation: z.literal('TransactWriteItems'),
    transactItems: z.array(TransactItem).min(1).max(100),
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

/** AppSync's request item -> the SDK's TransactWriteItem. */
function toTransactItem(item: z.infer<typeof TransactItem>): TransactWriteItem {
  const condition = item.condition;
  const shared = {
    TableName: item.table,
    Key: item.key as AttributeMap,
    ConditionExpression: condition?.expression,
    ReturnValuesOnConditionCheckFailure:
      condition && condition.returnValuesOnConditionCheckFailure !== false
        ? ('ALL_OLD' as const)
        : undefined,
  };
  switch (item.operation) {
    case 'PutItem': {
      const { Key, ...rest } = shared;
      return {
        Put: {
          ...rest,
          Item: { ...(item.attributeValues as AttributeMap), ...Key },
          ...merge(condition),
        },
      };
    }
    case 'UpdateItem':
      return {
        Update: {
          ...shared,
          UpdateExpression: item.update.expression,
          ...merge(item.update, condition),
        },
      };
    case 'DeleteItem':
      return { Delete: { ...shared, ...merge(condition) } };
    case 'ConditionCheck':
      return {
        ConditionCheck: {
          ...shared,
          ConditionExpression: item.condition.expression,
          ...merge(condition),
        },
      };
  }
}

/**
 * AppSync's form of a cancelled transaction: `ctx.result` is `{keys: null,
 * cancellationReasons}` (one entry per request item, in order) beside `ctx.error`. AppSync
 * names a failed condition `ConditionCheckFailed` ("The condition check failed.") and an item
 * that caused nothing `None` ("None"), as its TransactWriteItems reference shows.
 */
function cancelled(
  message: string,
  reasons: Array<{ Code?: string; Message?: string; Item?: AttributeMap }>,
): never {
  throw new DataSourceError(message, 'DynamoDB:TransactionCanceledException', {
    keys: null,
    cancellationReasons: reasons.map((reason) => {
      const code = reason.Code ?? 'None';
      if (code === 'ConditionalCheckFailed') {
        return {
          ...(reason.Item ? { item: unmarshall(reason.Item) } : {}),
          type: 'ConditionCheckFailed',
          message: 'The condition check failed.',
        };
      }
      return code === 'None'
        ? { type: 'None', message: 'None' }
        : { type: code, message: reason.Message ?? code };
    }),
  });
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
 * DeleteItem, Query, TransactWriteItems) run through the real DynamoDB client. Failures surface as
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
        case 'TransactWriteItems': {
          const items = request.transactItems;
          try {
            await client.send(
              new TransactWriteItemsCommand({ TransactItems: items.map(toTransactItem) }),
            );
          } catch (error) {
            if (error instanceof TransactionCanceledException) {
              cancelled(error.message, error.CancellationReasons ?? items.map(() => ({})));
            }
            // AppSync reports two actions on one item as a cancelled transaction too.
            if (/multiple operations on one item/.test((error as Error).message)) {
              cancelled(
                (error as Error).message,
                items.map(() => ({ Code: 'ValidationError', Message: (error as Error).message })),
              );
            }
            fail(error);
          }
          return {
            keys: items.map((item) => unmarshall(item.key as AttributeMap)),
            cancellationReasons: null,
          };
        }
      }
    },
  };
}
