import { readFileSync } from 'node:fs';

/**
 * IAM actions each AppSync DynamoDB resolver operation needs
 * (https://docs.aws.amazon.com/appsync/latest/devguide/js-resolver-reference-dynamodb.html).
 */
const DYNAMODB_ACTIONS: Record<string, string[]> = {
  GetItem: ['dynamodb:GetItem'],
  PutItem: ['dynamodb:PutItem'],
  UpdateItem: ['dynamodb:UpdateItem'],
  DeleteItem: ['dynamodb:DeleteItem'],
  Query: ['dynamodb:Query'],
  Scan: ['dynamodb:Scan'],
  Sync: ['dynamodb:Query', 'dynamodb:Scan'],
  BatchGetItem: ['dynamodb:BatchGetItem'],
  BatchPutItem: ['dynamodb:BatchWriteItem'],
  BatchDeleteItem: ['dynamodb:BatchWriteItem'],
  TransactGetItems: ['dynamodb:GetItem'],
  // A transaction's request items name their own operations (`operation: "PutItem"`, ...,
  // `"ConditionCheck"`), which are read like any other: IAM checks each item's action.
  TransactWriteItems: [],
  ConditionCheck: ['dynamodb:ConditionCheckItem'],
};

/** The `operation: "..."` literals of a bundled APPSYNC_JS file (esbuild keeps them verbatim). */
export function resolverOperations(codeFile: string): string[] {
  const code = readFileSync(codeFile, 'utf8');
  return [...new Set([...code.matchAll(/\boperation:\s*["'`](\w+)["'`]/g)].map((m) => m[1]!))];
}

/**
 * The DynamoDB actions the given resolver files use, read from the same files that are
 * deployed, so the data source role grows with the resolvers and never beyond them.
 * @throws Error if a file names no operation (a computed operation cannot be verified) or an
 *   operation that is not a DynamoDB resolver operation.
 */
export function dynamoDbActionsFor(codeFiles: readonly string[]): string[] {
  const actions = new Set<string>();
  for (const file of codeFiles) {
    const ops = resolverOperations(file);
    if (ops.length === 0)
      throw new Error(
        `${file}: no literal DynamoDB operation found; cannot derive its IAM actions`,
      );
    for (const op of ops) {
      const needed = DYNAMODB_ACTIONS[op];
      if (!needed) throw new Error(`${file}: "${op}" is not a DynamoDB resolver operation`);
      needed.forEach((a) => actions.add(a));
    }
  }
  return [...actions].sort();
}
