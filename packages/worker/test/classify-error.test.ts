import { RetriesExhaustedError } from '@org/bedrock-stream-contracts';
import { describe, expect, it } from 'vitest';
import { classifyRunFailure, errorCodeOf, unwrapRetries } from '../src/classify-error.js';
import { DeadlineError, PublishError, StallError } from '../src/errors.js';

const named = (name: string, message = 'boom') => Object.assign(new Error(message), { name });
const run = { textSent: true, attempt: 1, maxAttempts: 3 };

describe('errorCodeOf', () => {
  it('names errors by the closed list; anything else is InternalError', () => {
    expect(errorCodeOf(named('ThrottlingException'))).toBe('ThrottlingException');
    expect(errorCodeOf(new StallError('x'))).toBe('StallError');
    expect(errorCodeOf(new DeadlineError('x'))).toBe('WorkerTimeout');
    expect(errorCodeOf(new PublishError('x', 'Unauthorized'))).toBe('InternalError');
    expect(errorCodeOf(new TypeError('x'))).toBe('InternalError');
    expect(errorCodeOf('a string')).toBe('InternalError');
  });
});

describe('classifyRunFailure', () => {
  it('a retryable failure after text is a new attempt while attempts are left', () => {
    expect(classifyRunFailure(named('ModelStreamErrorException'), run)).toEqual({
      action: 'new-attempt',
      code: 'ModelStreamErrorException',
      message: 'boom',
    });
    expect(
      classifyRunFailure(named('ModelStreamErrorException'), { ...run, attempt: 3 }),
    ).toMatchObject({ action: 'end-stream', retryable: true });
  });

  it('a retryable failure before text (its in-place retries spent) ends the stream', () => {
    expect(classifyRunFailure(named('ThrottlingException'), { ...run, textSent: false })).toEqual({
      action: 'end-stream',
      code: 'ThrottlingException',
      message: 'boom',
      retryable: true,
    });
  });

  it('the deadline is a new attempt even before text, and WorkerTimeout on the last', () => {
    const timeout = new DeadlineError('the worker ran out of time after 9 s');
    expect(classifyRunFailure(timeout, { ...run, textSent: false })).toMatchObject({
      action: 'new-attempt',
    });
    expect(classifyRunFailure(timeout, { ...run, attempt: 3 })).toEqual({
      action: 'end-stream',
      code: 'WorkerTimeout',
      message: 'the worker ran out of time after 9 s',
      retryable: true,
    });
  });

  it('a non-retryable failure ends the stream as not retryable, its message cut to fit', () => {
    const decision = classifyRunFailure(named('ValidationException', 'x'.repeat(5_000)), run);
    expect(decision).toMatchObject({
      action: 'end-stream',
      code: 'ValidationException',
      retryable: false,
    });
    expect(decision.message.length).toBeLessThan(5_000);
  });

  it('a spent retry budget is judged by its last failure', () => {
    const last = named('ThrottlingException');
    expect(unwrapRetries(new RetriesExhaustedError('model call', 4, last))).toBe(last);
  });
});
