import { describe, expect, it } from 'vitest';
import { logLevelOf, WorkerLogger, type LogWriter } from '../src/log.js';

interface Written {
  stream: 'stdout' | 'stderr';
  record: Record<string, unknown>;
}

/** A logger whose lines are parsed into `written` (each must be one JSON line). */
function capture(env: Record<string, string | undefined> = {}) {
  const written: Written[] = [];
  const write: LogWriter = (line, stream) => {
    expect(line).not.toContain('\n');
    written.push({ stream, record: JSON.parse(line) as Record<string, unknown> });
  };
  return { logger: new WorkerLogger({ service: 'svc', env, write }), written };
}

describe('WorkerLogger', () => {
  it('writes one JSON line: level, message, timestamp, service, then the attributes', () => {
    const { logger, written } = capture();
    logger.info('claimed stream', { streamId: 's1', attempt: 2 });
    expect(written).toHaveLength(1);
    const { stream, record } = written[0]!;
    expect(stream).toBe('stdout');
    expect(Object.keys(record)).toEqual([
      'level',
      'message',
      'timestamp',
      'service',
      'streamId',
      'attempt',
    ]);
    expect(record).toMatchObject({
      level: 'INFO',
      message: 'claimed stream',
      service: 'svc',
      streamId: 's1',
      attempt: 2,
    });
    expect(new Date(record['timestamp'] as string).toISOString()).toBe(record['timestamp']);
  });

  it('sends WARN and ERROR to stderr, DEBUG and INFO to stdout', () => {
    const { logger, written } = capture({ LOG_LEVEL: 'DEBUG' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(written.map((w) => [w.record['level'], w.stream])).toEqual([
      ['DEBUG', 'stdout'],
      ['INFO', 'stdout'],
      ['WARN', 'stderr'],
      ['ERROR', 'stderr'],
    ]);
  });

  it('adds the X-Ray trace id from _X_AMZN_TRACE_ID', () => {
    const { logger, written } = capture({
      _X_AMZN_TRACE_ID:
        'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    });
    logger.info('m');
    expect(written[0]!.record['xray_trace_id']).toBe('1-5759e988-bd862e3fe1be46a994272793');
    const { logger: untraced, written: plain } = capture();
    untraced.info('m');
    expect(plain[0]!.record).not.toHaveProperty('xray_trace_id');
  });

  it('keeps appended keys on every record until they are removed', () => {
    const { logger, written } = capture();
    logger.appendKeys({ streamId: 's1', requestId: 'r1' });
    logger.info('first', { attempt: 1 });
    logger.removeKeys(['streamId', 'requestId']);
    logger.info('second');
    expect(written[0]!.record).toMatchObject({ streamId: 's1', requestId: 'r1', attempt: 1 });
    expect(Object.keys(written[0]!.record).slice(4)).toEqual(['streamId', 'requestId', 'attempt']);
    expect(written[1]!.record).not.toHaveProperty('streamId');
    expect(written[1]!.record).not.toHaveProperty('requestId');
  });

  it('does not let a key or attribute replace the record’s own fields', () => {
    const { logger, written } = capture();
    logger.appendKeys({ service: 'other' });
    logger.error('real', { level: 'DEBUG', message: 'fake' });
    expect(written[0]!.record).toMatchObject({ level: 'ERROR', message: 'real', service: 'svc' });
  });

  it('writes an Error as name, message and stack, also one level down', () => {
    const { logger, written } = capture();
    const failure = new TypeError('bad input');
    logger.error('failed', { error: failure, details: { cause: new RangeError('too far') } });
    const record = written[0]!.record;
    expect(record['error']).toEqual({
      name: 'TypeError',
      message: 'bad input',
      stack: failure.stack,
    });
    expect(record['details']).toMatchObject({ cause: { name: 'RangeError', message: 'too far' } });
  });

  it('never throws for values JSON cannot hold', () => {
    const { logger, written } = capture();
    const cyclic: Record<string, unknown> = { id: 'x' };
    cyclic['self'] = cyclic;
    const shared = { n: 1 };
    expect(() =>
      logger.info('odd values', { big: 10n ** 20n, cyclic, twice: [shared, shared] }),
    ).not.toThrow();
    expect(written[0]!.record).toMatchObject({
      big: '100000000000000000000',
      cyclic: { id: 'x', self: '[Circular]' },
      twice: [{ n: 1 }, { n: 1 }],
    });
  });

  it('writes the record without its attributes when they cannot be serialized', () => {
    const { logger, written } = capture();
    const hostile = {
      toJSON() {
        throw new Error('no');
      },
    };
    expect(() => logger.warn('hostile', { hostile })).not.toThrow();
    expect(written[0]!.record).toMatchObject({ level: 'WARN', message: 'hostile' });
    expect(written[0]!.record['log_error']).toMatch(/could not be serialized/);
  });

  it('never throws when the writer does', () => {
    const logger = new WorkerLogger({
      service: 'svc',
      env: {},
      write: () => {
        throw new Error('EPIPE');
      },
    });
    expect(() => logger.error('lost')).not.toThrow();
  });
});

describe('the level threshold', () => {
  const levelsWritten = (env: Record<string, string | undefined>) => {
    const { logger, written } = capture(env);
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    return written.map((w) => w.record['level']);
  };

  it('is INFO by default', () => {
    expect(levelsWritten({})).toEqual(['INFO', 'WARN', 'ERROR']);
  });

  it('comes from LOG_LEVEL, in any case', () => {
    expect(levelsWritten({ LOG_LEVEL: 'debug' })).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR']);
    expect(levelsWritten({ LOG_LEVEL: 'Warn' })).toEqual(['WARN', 'ERROR']);
    expect(levelsWritten({ LOG_LEVEL: 'ERROR' })).toEqual(['ERROR']);
    expect(levelsWritten({ LOG_LEVEL: 'silent' })).toEqual([]);
  });

  it('comes from AWS_LAMBDA_LOG_LEVEL first (Lambda’s advanced logging controls)', () => {
    expect(levelsWritten({ AWS_LAMBDA_LOG_LEVEL: 'ERROR', LOG_LEVEL: 'DEBUG' })).toEqual(['ERROR']);
    expect(levelsWritten({ AWS_LAMBDA_LOG_LEVEL: 'debug' })).toEqual([
      'DEBUG',
      'INFO',
      'WARN',
      'ERROR',
    ]);
    // Lambda's own TRACE and FATAL map to the nearest level.
    expect(logLevelOf({ AWS_LAMBDA_LOG_LEVEL: 'TRACE' })).toBe('DEBUG');
    expect(logLevelOf({ AWS_LAMBDA_LOG_LEVEL: 'FATAL' })).toBe('ERROR');
  });

  it('falls back to INFO for a LOG_LEVEL it does not know', () => {
    expect(logLevelOf({ LOG_LEVEL: 'verbose' })).toBe('INFO');
  });
});
