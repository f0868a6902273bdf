/**
 * Type tests (vitest typecheck): the public types an app compiles against. A change here
 * is an API change.
 */
import type {
  RetryPolicy,
  StopReason,
  Usage,
  WorkerErrorCode,
} from '@org/bedrock-stream-contracts';
import { describe, expectTypeOf, it } from 'vitest';
import type * as core from '../src/index.js';
import type {
  ClientErrorCode,
  QuotaErrorInfo,
  StreamClient,
  StreamClientError,
  StreamClientOptions,
  StreamErrorCode,
  StreamHandle,
  StreamNotice,
  StreamResult,
  StreamUpdate,
  UsageReport,
} from '../src/index.js';
import type { UseBedrockStreamResult } from '../src/react/index.js';

describe('the core entry', () => {
  it('exports exactly these values (everything else is a type or lives at /internal)', () => {
    expectTypeOf<keyof typeof core>().toEqualTypeOf<
      | 'createStreamClient'
      | 'newStreamId'
      | 'StreamClientError'
      | 'ChunkAssembler'
      | 'realtimeUrlFor'
      | 'partsToMessages'
      | 'pendingToolCalls'
      | 'Chat'
      | 'ConversationList'
    >();
  });

  it('client.stream returns a StreamHandle whose done is a Promise<StreamResult>', () => {
    expectTypeOf<StreamClient['stream']>().returns.toEqualTypeOf<StreamHandle>();
    expectTypeOf<StreamHandle['done']>().toEqualTypeOf<Promise<StreamResult>>();
  });
});

describe('StreamErrorCode', () => {
  it('is the closed union of the worker’s codes and the client’s own', () => {
    expectTypeOf<StreamErrorCode>().toEqualTypeOf<WorkerErrorCode | ClientErrorCode>();
    expectTypeOf<StreamClientError['code']>().toEqualTypeOf<StreamErrorCode>();
    expectTypeOf<string>().not.toExtend<StreamErrorCode>();
    expectTypeOf<'UNKNOWN_WORKER_ERROR'>().toExtend<StreamErrorCode>();
    expectTypeOf<'ThrottlingException'>().toExtend<StreamErrorCode>();
    // @ts-expect-error: a code nobody defined is not a StreamErrorCode.
    const unknown: StreamErrorCode = 'SomethingNew';
    void unknown;
  });

  it('keeps an unknown worker code as written in workerCode', () => {
    expectTypeOf<StreamClientError['workerCode']>().toEqualTypeOf<string | null>();
  });
});

describe('StreamUpdate', () => {
  it('is this union of update types, the notice included', () => {
    expectTypeOf<StreamUpdate['type']>().toEqualTypeOf<
      'status' | 'start' | 'reset' | 'text' | 'part' | 'usage' | 'end' | 'error' | 'notice'
    >();
    expectTypeOf<Extract<StreamUpdate, { type: 'notice' }>>().toEqualTypeOf<StreamNotice>();
    expectTypeOf<StreamNotice['code']>().toEqualTypeOf<'UNKNOWN_EVENTS'>();
    expectTypeOf<StreamNotice['eventTypes']>().toEqualTypeOf<string[]>();
    expectTypeOf<Extract<StreamUpdate, { type: 'error' }>['fatal']>().toEqualTypeOf<boolean>();
  });

  it('stop reasons are contracts’ StopReason, no looser', () => {
    expectTypeOf<
      Extract<StreamUpdate, { type: 'end' }>['stopReason']
    >().toEqualTypeOf<StopReason>();
    expectTypeOf<StreamResult['stopReason']>().toEqualTypeOf<StopReason | null>();
    expectTypeOf<StreamResult['usage']>().toEqualTypeOf<Usage | null>();
  });
});

describe('options', () => {
  it('the reconnect loop takes contracts’ RetryPolicy', () => {
    expectTypeOf<StreamClientOptions['reconnect']>().toEqualTypeOf<
      Partial<RetryPolicy> | undefined
    >();
  });
});

describe('useBedrockStream', () => {
  it('start() returns a Promise of the stream’s result', () => {
    expectTypeOf<UseBedrockStreamResult['start']>().returns.toEqualTypeOf<Promise<StreamResult>>();
  });
});

describe('quota errors', () => {
  it('carry when to retry and, for a refused start, the limit', () => {
    expectTypeOf<'QuotaExceeded'>().toExtend<StreamErrorCode>();
    expectTypeOf<'THROTTLED'>().toExtend<ClientErrorCode>();
    expectTypeOf<StreamClientError['retryAfterSeconds']>().toEqualTypeOf<number | null>();
    expectTypeOf<StreamClientError['quota']>().toEqualTypeOf<QuotaErrorInfo | null>();
    expectTypeOf<UseBedrockStreamResult['quota']>().toEqualTypeOf<QuotaErrorInfo | null>();
    expectTypeOf<UseBedrockStreamResult['retryAfterSeconds']>().toEqualTypeOf<number | null>();
    expectTypeOf<StreamClient['usage']>().returns.toEqualTypeOf<Promise<UsageReport>>();
  });
});
