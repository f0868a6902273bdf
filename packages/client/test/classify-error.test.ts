/**
 * The retry verdict on what operations throw: Apollo Client 4's own error classes, fetch's
 * network failures, and the AppSync subscription link's error objects, as they arrive.
 */
import { CombinedGraphQLErrors, ServerError, ServerParseError } from '@apollo/client/errors';
import { describe, expect, it } from 'vitest';
import { classifyError } from '../src/classify-error.js';
import { StreamClientError } from '../src/errors.js';

const graphQLErrors = (errorType: string, message = 'nope') =>
  new CombinedGraphQLErrors({ data: null, errors: [{ message, errorType } as never] });
const serverError = (status: number) =>
  new ServerError('Response not successful', {
    response: new Response('{}', { status }),
    bodyText: '{}',
  });
const linkError = (message: string) => ({ errors: [{ message }] });

describe('classifyError', () => {
  it.each([
    ['fetch failed (undici)', new TypeError('fetch failed', { cause: new Error('ECONNRESET') })],
    ['Failed to fetch (Chromium)', new TypeError('Failed to fetch')],
    ['a body cut short', new TypeError('terminated')],
    ['the WebSocket closed', linkError('Connection closed')],
    ['the handshake failed', linkError('Connection failed: Connection handshake error')],
  ])('%s is a retryable network failure', (_, error) => {
    expect(classifyError(error)).toMatchObject({ kind: 'network', retryable: true });
  });

  it.each([
    ['the request timed out', new DOMException('no response within 10 ms', 'TimeoutError')],
    ['the subscription was not acknowledged', linkError('Subscription timeout {"query":""}')],
  ])('%s is a retryable timeout', (_, error) => {
    expect(classifyError(error)).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it.each([
    ['HTTP 503', serverError(503), 'server'],
    ['HTTP 502', serverError(502), 'server'],
    ['HTTP 429', serverError(429), 'throttled'],
    ['ThrottlingException', graphQLErrors('ThrottlingException'), 'throttled'],
    [
      'DynamoDB throttling',
      graphQLErrors('DynamoDB:ProvisionedThroughputExceededException'),
      'throttled',
    ],
    ['Lambda throttling', graphQLErrors('Lambda:TooManyRequestsException'), 'throttled'],
    ['InternalFailure', graphQLErrors('InternalFailure'), 'server'],
    [
      'a truncated JSON body',
      new ServerParseError(new SyntaxError('Unexpected end of JSON input'), {
        response: new Response('{"da', { status: 200 }),
        bodyText: '{"da',
      }),
      'network',
    ],
  ])('%s is retryable', (_, error, kind) => {
    expect(classifyError(error)).toMatchObject({ kind, retryable: true });
  });

  it.each([
    ['ValidationError', graphQLErrors('ValidationError')],
    ['UnauthorizedException', graphQLErrors('UnauthorizedException')],
    ['NotFound', graphQLErrors('NotFound')],
    ['ConflictError', graphQLErrors('ConflictError', 'exists with a different input')],
    ['QuotaExceeded', graphQLErrors('QuotaExceeded')],
    ['DynamoDB conditional check', graphQLErrors('DynamoDB:ConditionalCheckFailedException')],
    ['HTTP 401', serverError(401)],
    ['HTTP 403', serverError(403)],
    ['a GraphQL error without a type', new CombinedGraphQLErrors({ errors: [{ message: 'x' }] })],
    [
      'a refused subscription start (the link embeds the server error)',
      linkError('Connection failed: {"errors":[{"errorType":"Unauthorized","message":"no"}]}'),
    ],
    ['a refused handshake', linkError('Connection failed: UnauthorizedException')],
  ])('%s is not retried', (_, error) => {
    expect(classifyError(error)).toMatchObject({ kind: 'rejected', retryable: false });
  });

  it('names the failure for summaries', () => {
    expect(classifyError(serverError(503)).label).toBe('HTTP 503');
    expect(classifyError(graphQLErrors('ThrottlingException')).label).toBe('ThrottlingException');
    expect(classifyError(new TypeError('fetch failed')).label).toBe('network error');
  });

  it('a refusal wins over throttling in the same answer', () => {
    const mixed = new CombinedGraphQLErrors({
      data: null,
      errors: [
        { message: 'slow down', errorType: 'ThrottlingException' } as never,
        { message: 'bad', errorType: 'ValidationError' } as never,
      ],
    });
    expect(classifyError(mixed).retryable).toBe(false);
  });

  it('a StreamClientError keeps its verdict and names its cause', () => {
    const wrapped = new StreamClientError('START_FAILED', 'startStream failed: 503', true, {
      cause: serverError(503),
    });
    expect(classifyError(wrapped)).toEqual({ kind: 'server', retryable: true, label: 'HTTP 503' });
    const refused = new StreamClientError('INVALID_INPUT', 'bad input', false);
    expect(classifyError(refused)).toMatchObject({ kind: 'rejected', retryable: false });
  });
});
