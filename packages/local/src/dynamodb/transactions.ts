// DynamoDB's TransactWriteItems for dynalite, which has none: the API, its validation and
// its all-or-nothing semantics, built on dynalite's own store, expression parsers and
// actions (so conditions and update expressions behave exactly as in single-item calls).
//
// Isolation: every item of a transaction is locked (dynalite's per-item locks, which its
// PutItem/UpdateItem/DeleteItem take too) before the conditions that decide its writes are
// checked, and released after the last write. So a concurrent write to one of the items
// waits instead of interleaving. (A transaction whose conditions already fail on a first,
// unlocked read is cancelled without locking: it writes nothing.) Real DynamoDB cancels a transaction that meets another one in flight on the
// same item (`TransactionConflict`); here the later one waits and then runs, like a retry
// that succeeded.
import { createRequire } from 'node:module';
import { z } from 'zod';

type AttributeMap = Record<string, unknown>;
type Callback<T = unknown> = (error: DynaliteError | null | undefined, value?: T) => void;

/** An error as dynalite makes them: an HTTP status and the JSON body DynamoDB would send. */
interface DynaliteError extends Error {
  statusCode?: number;
  body?: { __type: string; message?: string; Message?: string };
}

interface ItemDb {
  get(key: string, cb: Callback<AttributeMap | undefined>): void;
  put(key: string, value: AttributeMap, cb: Callback): void;
  del(key: string, cb: Callback): void;
  lock(keys: string | string[], run: (release: (done: () => void) => () => void) => void): void;
}

interface TableDescription {
  TableName: string;
}

/** The parts of dynalite's store (db/index.js `create`) this module uses. */
export interface DynaliteStore {
  getTable(name: string, cb: Callback<TableDescription>): void;
  getItemDb(name: string): ItemDb;
}

interface DynaliteDb {
  create(options: unknown): DynaliteStore;
  validateKey(key: AttributeMap, table: TableDescription): DynaliteError | null | undefined;
  validateItem(item: AttributeMap, table: TableDescription): DynaliteError | null | undefined;
  createKey(item: AttributeMap, table: TableDescription): string;
  checkConditional(data: unknown, existing: AttributeMap | undefined): DynaliteError | null;
  updateIndexes(
    store: DynaliteStore,
    table: TableDescription,
    existing: AttributeMap | undefined | null,
    item: AttributeMap | undefined | null,
    cb: Callback,
  ): void;
}

interface DynaliteValidations {
  checkTypes(data: unknown, types: unknown): Record<string, unknown>;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: DynaliteStore): void;
}

type Action = (store: DynaliteStore, data: unknown, cb: Callback) => void;

const require = createRequire(import.meta.url);
/** dynalite's internals (it exports only the server factory; these files are stable CJS). */
export const dynaliteDb = require('dynalite/db') as DynaliteDb;
const validations = require('dynalite/validations') as DynaliteValidations;
const rules = {
  putItem: require('dynalite/validations/putItem') as { types: unknown; custom: unknown },
  updateItem: require('dynalite/validations/updateItem') as { types: unknown; custom: unknown },
  deleteItem: require('dynalite/validations/deleteItem') as { types: unknown; custom: unknown },
};
const actions = {
  putItem: require('dynalite/actions/putItem') as Action,
  updateItem: require('dynalite/actions/updateItem') as Action,
  deleteItem: require('dynalite/actions/deleteItem') as Action,
};

const Expression = {
  TableName: z.string(),
  ConditionExpression: z.string().optional(),
  ExpressionAttributeNames: z.record(z.string(), z.string()).optional(),
  ExpressionAttributeValues: z.record(z.string(), z.unknown()).optional(),
  ReturnValuesOnConditionCheckFailure: z.enum(['ALL_OLD', 'NONE']).optional(),
};
const TransactItem = z
  .object({
    Put: z.object({ ...Expression, Item: z.record(z.string(), z.unknown()) }).optional(),
    Update: z
      .object({
        ...Expression,
        Key: z.record(z.string(), z.unknown()),
        UpdateExpression: z.string(),
      })
      .optional(),
    Delete: z.object({ ...Expression, Key: z.record(z.string(), z.unknown()) }).optional(),
    ConditionCheck: z
      .object({
        ...Expression,
        Key: z.record(z.string(), z.unknown()),
        ConditionExpression: z.string(),
      })
      .optional(),
  })
  .refine(
    (item) =>
      [item.Put, item.Update, item.Delete, item.ConditionCheck].filter(Boolean).length === 1,
    { message: 'TransactItems can only contain one of Check, Put, Update or Delete' },
  );
const TransactWriteItemsInput = z.object({
  TransactItems: z.array(TransactItem).min(1).max(100),
  ClientRequestToken: z.string().optional(),
  ReturnConsumedCapacity: z.string().optional(),
  ReturnItemCollectionMetrics: z.string().optional(),
});

/** What the HTTP layer sends back: DynamoDB's status and JSON body. */
export interface TransactionResponse {
  status: number;
  body: Record<string, unknown>;
}

function validationError(message: string): TransactionResponse {
  return {
    status: 400,
    body: { __type: 'com.amazon.coral.validate#ValidationException', message },
  };
}

function asResponse(error: DynaliteError): TransactionResponse {
  if (error.statusCode && error.body) return { status: error.statusCode, body: error.body };
  throw error;
}

const call = <T>(run: (cb: Callback<T>) => void) =>
  new Promise<T>((resolve, reject) =>
    run((error, value) => (error ? reject(error) : resolve(value as T))),
  );

/** One validated action of the transaction. */
interface Step {
  kind: 'putItem' | 'updateItem' | 'deleteItem' | 'check';
  /** dynalite's parsed request (with `_condition` / `_updates`). */
  data: Record<string, unknown> & { TableName: string };
  returnOldOnFailure: boolean;
  table?: TableDescription;
  key?: string;
  old?: AttributeMap;
}

function parseStep(raw: z.infer<typeof TransactItem>, store: DynaliteStore): Step {
  const [kind, request] = raw.Put
    ? (['putItem', raw.Put] as const)
    : raw.Update
      ? (['updateItem', raw.Update] as const)
      : raw.Delete
        ? (['deleteItem', raw.Delete] as const)
        : (['check', raw.ConditionCheck!] as const);
  const rule = rules[kind === 'check' ? 'deleteItem' : kind];
  const data = validations.checkTypes({ ...request }, rule.types);
  validations.checkValidations(data, rule.types, rule.custom, store);
  return {
    kind,
    data: data as Step['data'],
    // DynamoDB's default for transactions is NONE.
    returnOldOnFailure: request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
  };
}

/**
 * Runs one TransactWriteItems request (the parsed JSON body) against dynalite's store:
 * validated like DynamoDB (one action per item, at most 100, no two on one item), all
 * conditions checked before anything is written, and either every write applied or none
 * (`TransactionCanceledException` with one `CancellationReasons` entry per item, in order).
 */
export async function transactWriteItems(
  store: DynaliteStore,
  input: unknown,
): Promise<TransactionResponse> {
  const parsed = TransactWriteItemsInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return validationError(
      `1 validation error detected: ${issue?.path.join('.') || 'TransactItems'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  let steps: Step[];
  try {
    steps = parsed.data.TransactItems.map((item) => parseStep(item, store));
  } catch (error) {
    return asResponse(error as DynaliteError);
  }
  // Tables, keys and item validation, before any lock is taken.
  const seen = new Set<string>();
  for (const step of steps) {
    let table: TableDescription;
    try {
      table = await call<TableDescription>((cb) => store.getTable(step.data.TableName, cb));
    } catch (error) {
      return asResponse(error as DynaliteError);
    }
    const item = step.kind === 'putItem' ? (step.data['Item'] as AttributeMap) : null;
    const invalid = item
      ? dynaliteDb.validateItem(item, table)
      : dynaliteDb.validateKey(step.data['Key'] as AttributeMap, table);
    if (invalid) return asResponse(invalid);
    step.table = table;
    step.key = dynaliteDb.createKey(item ?? (step.data['Key'] as AttributeMap), table);
    const id = `${table.TableName}\u0000${step.key}`;
    if (seen.has(id)) {
      return validationError('Transaction request cannot include multiple operations on one item');
    }
    seen.add(id);
  }

  // A transaction that fails a condition writes nothing: one failing condition read at any
  // instant is a valid outcome, so refusals are answered without taking a lock (a burst of
  // refused starts would otherwise queue behind one hot counter's lock).
  const early = reasonsFor(steps, await readAll(store, steps));
  if (early.some((r) => r.Code !== 'None')) return canceled(early);

  const releases: Array<() => void> = [];
  try {
    // One lock call per table (dynalite locks per table), tables in name order, so two
    // transactions over the same items can never wait on each other.
    const tables = [...new Set(steps.map((s) => s.data.TableName))].sort();
    for (const name of tables) {
      const keys = steps.filter((s) => s.data.TableName === name).map((s) => s.key!);
      releases.push(
        await new Promise<() => void>((resolve) =>
          store.getItemDb(name).lock(keys, (release) => resolve(release(() => undefined))),
        ),
      );
    }
    const olds = await readAll(store, steps);
    steps.forEach((step, i) => (step.old = olds[i]));
    const reasons = reasonsFor(steps, olds);
    if (reasons.some((r) => r.Code !== 'None')) return canceled(reasons);
    return await applyAll(store, steps);
  } finally {
    for (const release of releases.reverse()) release();
  }
}

/** The current items of all steps, read at once. */
function readAll(store: DynaliteStore, steps: Step[]): Promise<Array<AttributeMap | undefined>> {
  return Promise.all(
    steps.map((step) =>
      call<AttributeMap | undefined>((cb) =>
        store
          .getItemDb(step.data.TableName)
          .get(step.key!, (error, value) =>
            error && error.name === 'NotFoundError' ? cb(null, undefined) : cb(error, value),
          ),
      ),
    ),
  );
}

/** One CancellationReasons entry per step: its condition against its item. */
function reasonsFor(
  steps: Step[],
  items: Array<AttributeMap | undefined>,
): Array<{ Code: string; Message?: string; Item?: AttributeMap }> {
  return steps.map((step, i) => {
    const old = items[i];
    if (!dynaliteDb.checkConditional(step.data, old)) return { Code: 'None' };
    return {
      Code: 'ConditionalCheckFailed',
      Message: 'The conditional request failed',
      ...(step.returnOldOnFailure && old ? { Item: old } : {}),
    };
  });
}

function canceled(
  reasons: Array<{ Code: string; Message?: string; Item?: AttributeMap }>,
): TransactionResponse {
  return {
    status: 400,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons
        .map((r) => r.Code)
        .join(', ')}]`,
      CancellationReasons: reasons,
    },
  };
}

/** A view of the store whose item locks are already held by this transaction. */
function heldLocks(store: DynaliteStore): DynaliteStore {
  const view = Object.create(store) as DynaliteStore;
  view.getItemDb = (name) => {
    const itemDb = Object.create(store.getItemDb(name)) as ItemDb;
    itemDb.lock = (_keys, run) => run((done) => done);
    return itemDb;
  };
  return view;
}

/**
 * Writes every step with dynalite's own actions (conditions already hold: the items are
 * locked). A write that fails (an update expression's type error, an item over 400 KB)
 * cancels the transaction: the steps already written get their old items back.
 */
async function applyAll(store: DynaliteStore, steps: Step[]): Promise<TransactionResponse> {
  const view = heldLocks(store);
  const written: Step[] = [];
  for (const [index, step] of steps.entries()) {
    if (step.kind === 'check') continue;
    try {
      await call((cb) => actions[step.kind as keyof typeof actions](view, step.data, cb));
      written.push(step);
    } catch (error) {
      const body = (error as DynaliteError).body;
      if (!body) throw error;
      for (const done of written.reverse()) await restore(store, done);
      return canceled(
        steps.map((_, i) =>
          i === index
            ? { Code: 'ValidationError', Message: body.message ?? body.Message ?? 'invalid' }
            : { Code: 'None' },
        ),
      );
    }
  }
  return { status: 200, body: {} };
}

async function restore(store: DynaliteStore, step: Step): Promise<void> {
  const itemDb = store.getItemDb(step.data.TableName);
  const current = await call<AttributeMap | undefined>((cb) =>
    itemDb.get(step.key!, (error, value) =>
      error && error.name === 'NotFoundError' ? cb(null, undefined) : cb(error, value),
    ),
  );
  await call((cb) => dynaliteDb.updateIndexes(store, step.table!, current, step.old, cb));
  await call((cb) => (step.old ? itemDb.put(step.key!, step.old, cb) : itemDb.del(step.key!, cb)));
}
