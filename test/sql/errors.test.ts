import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/session/errors.js';
import {
  isConnectionError,
  isTransientError,
  isUniqueViolation,
  SqlConfigError,
  sqlState,
  statementPoolingError,
} from '../../src/sql/errors.js';

const pgError = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`server said ${code}`), { code, ...extra });

describe('SQLSTATE helpers', () => {
  it('reads the SQLSTATE from the error or from its cause chain', () => {
    expect(sqlState(pgError('23505'))).toBe('23505');
    expect(sqlState(new StorageError('wrapped', { cause: pgError('40P01') }))).toBe('40P01');
    expect(sqlState(Object.assign(new Error('net'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(sqlState('not an error')).toBeUndefined();
    expect(sqlState(null)).toBeUndefined();
  });

  it('survives a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(sqlState(a)).toBeUndefined();
  });

  it('detects unique violations, optionally of one constraint', () => {
    const error = pgError('23505', { constraint: 'idx_session_states_unique_active' });
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(error, 'idx_session_states_unique_active')).toBe(true);
    expect(isUniqueViolation(error, 'idx_app_states_unique_active')).toBe(false);
    expect(isUniqueViolation(new StorageError('x', { cause: error }))).toBe(true);
    expect(isUniqueViolation(pgError('23503'))).toBe(false);
  });

  it.each([
    ['serialization failure', '40001'],
    ['deadlock', '40P01'],
    ['lock timeout', '55P03'],
    ['statement timeout', '57014'],
    ['admin shutdown', '57P01'],
    ['cannot connect now', '57P03'],
    ['too many connections', '53300'],
    ['disk full', '53100'],
    ['read-only transaction (a primary turned standby)', '25006'],
    ['connection failure', '08006'],
    ['connection does not exist', '08003'],
  ])('classifies %s (%s) as transient', (_name, code) => {
    expect(isTransientError(pgError(code))).toBe(true);
  });

  it.each([
    ['unique violation', '23505'],
    ['not null violation', '23502'],
    ['syntax error', '42601'],
    ['undefined table', '42P01'],
    ['insufficient privilege', '42501'],
    ['invalid text representation', '22P02'],
  ])('classifies %s (%s) as permanent', (_name, code) => {
    expect(isTransientError(pgError(code))).toBe(false);
  });

  it('classifies network failures without a SQLSTATE as transient connection errors', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']) {
      const error = Object.assign(new Error(code), { code });
      expect(isConnectionError(error)).toBe(true);
      expect(isTransientError(error)).toBe(true);
    }
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientError(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('treats a pooler in statement mode as a setting to change, though its refusal is a connection error', () => {
    const refusal = Object.assign(new Error('transaction blocks not allowed in statement pooling mode'), {
      code: '08P01',
      severity: 'FATAL',
    });
    expect(isTransientError(refusal)).toBe(true);
    const setting = statementPoolingError(refusal);
    expect(setting).toBeInstanceOf(SqlConfigError);
    expect(setting?.field).toBe('connection');
    expect(setting?.cause).toBe(refusal);
    expect(isTransientError(setting)).toBe(false);
    // Found under a wrapper too, and not made up for another error of the same class.
    expect(statementPoolingError(new Error('wrapped', { cause: refusal }))).toBeInstanceOf(SqlConfigError);
    expect(statementPoolingError(pgError('08P01'))).toBeUndefined();
    expect(statementPoolingError(undefined)).toBeUndefined();
  });

  it('treats unknown errors as permanent, so programming mistakes are not retried', () => {
    expect(isTransientError(new TypeError('x is not a function'))).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
    expect(isConnectionError(pgError('40001'))).toBe(false);
  });
});
