// Shared helpers of the APPSYNC_JS resolvers. Bundled into each resolver file by
// esbuild; only the APPSYNC_JS subset is used (no try/throw/while/classes/async).
import { util } from '@aws-appsync/utils';
import { LIMITS } from '@org/bedrock-stream-contracts/limits';
import { TABLE, streamPartitionKey } from '@org/bedrock-stream-contracts/table';

export { LIMITS, TABLE, streamPartitionKey };

// APPSYNC_JS has no String.padStart; slicing a zero prefix gives the same keys as
// contracts' chunkSortKey (a test asserts they agree).
function pad(value: number, width: number): string {
  return `000000000000${value}`.slice(-width);
}

/** `CHUNK#<attempt:6>#` — sorts before every seq of that attempt. */
export function attemptPrefix(attempt: number): string {
  return `${TABLE.chunkPrefix}${pad(attempt, 6)}#`;
}

/** Same value as contracts' chunkSortKey(attempt, seq). */
export function chunkKey(attempt: number, seq: number): string {
  return `${attemptPrefix(attempt)}${pad(seq, 9)}`;
}

type Identity = Record<string, unknown> | null | undefined;

/**
 * The owner key of a caller: JWT (Cognito/OIDC) `sub` with its issuer, the IAM
 * principal ARN, or one shared key for API-key callers (API keys identify an app,
 * not a user).
 */
export function ownerOf(identity: Identity): string {
  if (!identity) return 'apikey';
  const sub = identity['sub'];
  if (typeof sub === 'string' && sub.length > 0) {
    const issuer = identity['issuer'];
    return `jwt:${typeof issuer === 'string' ? issuer : ''}:${sub}`;
  }
  const arn = identity['userArn'];
  if (typeof arn === 'string' && arn.length > 0) return `iam:${arn}`;
  const account = identity['accountId'];
  if (typeof account === 'string' && account.length > 0) return `iam:${account}`;
  return 'apikey';
}

export function recordKey(streamId: string): Record<string, unknown> {
  return util.dynamodb.toMapValues({ pk: streamPartitionKey(streamId), sk: TABLE.recordSortKey });
}

// APPSYNC_JS has no regex literals: util.matches takes the pattern as a string.
const UUID_V4 = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

export function assertStreamId(streamId: unknown): string {
  return assertUuid('streamId', streamId);
}

/** A client-made id (streamId, conversationId): a lowercase UUID v4, else a ValidationError. */
export function assertUuid(field: string, value: unknown): string {
  if (typeof value !== 'string' || !util.matches(UUID_V4, value)) {
    util.error(`${field} must be a lowercase UUID v4`, 'ValidationError');
  }
  return value as string;
}

/**
 * A new stream record (ACCEPTED), as startStream and every conversation turn store it:
 * the worker claims it by `streamId` and reads `input` from it.
 */
export function newStreamRecord(
  streamId: string,
  owner: string,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const now = util.time.nowISO8601();
  return {
    streamId,
    owner,
    status: 'ACCEPTED',
    input,
    modelId: input['modelId'],
    attempt: 0,
    lastSeq: -1,
    cancelRequested: false,
    createdAt: now,
    updatedAt: now,
    [TABLE.ttlAttribute]: util.time.nowEpochSeconds() + LIMITS.recordTtlSeconds,
  };
}

/** Denies a caller who does not own the record (same message AppSync uses). */
export function assertOwner(
  record: Record<string, unknown> | null | undefined,
  identity: Identity,
  what: string,
): void {
  if (record && record['owner'] !== ownerOf(identity)) {
    util.unauthorized();
  }
  if (!record) util.error(`${what}: stream not found`, 'NotFound');
}

/**
 * Whether two JSON-like values are equal, ignoring object key order (DynamoDB maps have
 * none) and treating a null field like an absent one. Iterative: a worklist, because
 * APPSYNC_JS has no while loops and for-of walks items pushed during the walk.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  const pending: unknown[][] = [[a, b]];
  let same = true;
  for (const pair of pending) {
    if (!same) break;
    const x = pair[0];
    const y = pair[1];
    if (x === y || ((x === null || x === undefined) && (y === null || y === undefined))) {
      // equal leaves
    } else if (Array.isArray(x) || Array.isArray(y)) {
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) same = false;
      else {
        let i = 0;
        for (const item of x) {
          pending.push([item, y[i]]);
          i += 1;
        }
      }
    } else if (typeof x === 'object' && typeof y === 'object' && x !== null && y !== null) {
      const xo = x as Record<string, unknown>;
      const yo = y as Record<string, unknown>;
      for (const key of Object.keys(xo)) pending.push([xo[key], yo[key]]);
      for (const key of Object.keys(yo)) {
        if (!Object.hasOwn(xo, key)) pending.push([undefined, yo[key]]);
      }
    } else same = false;
  }
  return same;
}

/** Surfaces a data source error as the field's error. */
export function failOnError(error: { message: string; type: string } | null | undefined): void {
  if (error) util.error(error.message, error.type);
}

/** The StreamHandle fields of a stream record (what startStream and cancelStream return). */
export function toHandle(record: Record<string, unknown>): Record<string, unknown> {
  return {
    streamId: record['streamId'],
    status: record['status'],
    cancelRequested: record['cancelRequested'],
    createdAt: record['createdAt'],
  };
}
