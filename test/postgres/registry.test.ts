import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/session/errors.js';
import {
  getPostgresInstance,
  registerPostgresInstance,
  unregisterPostgresInstance,
} from '../../src/storage/postgres/index.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the PostgreSQL instance registry', () => {
  afterEach(() => {
    unregisterPostgresInstance('primary');
  });

  it('returns what was registered under a name', () => {
    registerPostgresInstance('primary', { connectionString: 'postgres://h/db', extraOptions: { max: 4 } });
    expect(getPostgresInstance('primary')).toEqual({
      name: 'primary',
      connectionString: 'postgres://h/db',
      extraOptions: { max: 4 },
    });
  });

  it('returns undefined for a name never registered', () => {
    expect(getPostgresInstance('never')).toBeUndefined();
  });

  it('replaces an instance registered twice under one name', () => {
    registerPostgresInstance('primary', {
      connectionString: 'postgres://first/db',
      extraOptions: { max: 1 },
    });
    registerPostgresInstance('primary', { connectionString: 'postgres://second/db' });
    expect(getPostgresInstance('primary')).toEqual({
      name: 'primary',
      connectionString: 'postgres://second/db',
      extraOptions: {},
    });
  });

  it('forgets an unregistered instance and says whether it existed', () => {
    registerPostgresInstance('primary', { connectionString: 'postgres://h/db' });
    expect(unregisterPostgresInstance('primary')).toBe(true);
    expect(getPostgresInstance('primary')).toBeUndefined();
    expect(unregisterPostgresInstance('primary')).toBe(false);
  });

  it('keeps a frozen copy, unaffected by later changes to the options', () => {
    const extraOptions: Record<string, unknown> = { max: 2 };
    registerPostgresInstance('primary', { connectionString: 'postgres://h/db', extraOptions });
    extraOptions.max = 99;
    const instance = getPostgresInstance('primary')!;
    expect(instance.extraOptions).toEqual({ max: 2 });
    expect(Object.isFrozen(instance)).toBe(true);
    expect(Object.isFrozen(instance.extraOptions)).toBe(true);
  });

  it('accepts the key=value connection string form', () => {
    registerPostgresInstance('primary', { connectionString: 'host=h port=5432 dbname=db sslmode=disable' });
    expect(getPostgresInstance('primary')?.connectionString).toContain('dbname=db');
  });

  it.each(['', '   '])('rejects the empty name %j', (name) => {
    expect(
      configError(() => registerPostgresInstance(name, { connectionString: 'postgres://h/db' })).field,
    ).toBe('name');
  });

  it('rejects an empty or malformed connection string without printing its password', () => {
    expect(configError(() => registerPostgresInstance('primary', { connectionString: '' })).field).toBe(
      'connectionString',
    );
    const error = configError(() =>
      registerPostgresInstance('primary', { connectionString: 'postgres://u:topsecret@h/db?sslmode=maybe' }),
    );
    expect(error.field).toBe('connectionString');
    expect(error.message).not.toContain('topsecret');
    expect(getPostgresInstance('primary')).toBeUndefined();
  });

  it('rejects extraOptions that are not an object, and missing options', () => {
    const bad = { connectionString: 'postgres://h/db', extraOptions: 'max=3' } as never;
    expect(configError(() => registerPostgresInstance('primary', bad)).field).toBe('extraOptions');
    expect(configError(() => registerPostgresInstance('primary', undefined as never)).field).toBe('options');
  });

  it('refuses a connectionString in extraOptions, which node-postgres would connect to instead', () => {
    const other = {
      connectionString: 'postgres://h/db',
      extraOptions: { connectionString: 'postgres://elsewhere/x' },
    };
    const error = configError(() => registerPostgresInstance('primary', other));
    expect(error.field).toBe('extraOptions.connectionString');
    expect(error.message).toBe('extraOptions.connectionString: is not taken: give it as connectionString');
    expect(getPostgresInstance('primary')).toBeUndefined();
  });

  it('hides the password when an instance is printed', () => {
    registerPostgresInstance('primary', { connectionString: 'postgres://u:topsecret@h/db' });
    const instance = getPostgresInstance('primary')!;
    for (const text of [inspect(instance), JSON.stringify(instance), String(instance)]) {
      expect(text).not.toContain('topsecret');
      expect(text).toContain('postgres://u:***@h/db');
    }
    expect(instance.connectionString).toBe('postgres://u:topsecret@h/db');
  });

  it.each([
    ['postgres://u:top secret@h/db', ['top secret', 'top%20secret', 'secret']],
    ['postgres://u@h/db?sslpassword=KeyPassphrase', ['KeyPassphrase']],
    ['host=h user=u sslpassword=KeyPassphrase', ['KeyPassphrase']],
  ])('hides the passwords of %s when the instance is printed', (connectionString, secrets) => {
    registerPostgresInstance('odd', { connectionString });
    const instance = getPostgresInstance('odd')!;
    for (const text of [inspect(instance), JSON.stringify(instance), String(instance)]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).toContain('***');
    }
  });
});
