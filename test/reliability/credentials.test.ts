/**
 * Credentials: a password, given as an option, inside a DSN (URL or key=value form, encoded or
 * not) or in a registered instance, never appears in anything the library prints or reports:
 * option objects (String, JSON, inspect, console formatting), connection plans, the service
 * object, error messages and their inspected form with causes and stacks, onError reports and
 * process warnings.
 */
import { randomBytes } from 'node:crypto';
import { format, inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactConnectionString } from '../../src/postgres/connection/connection-string.js';
import { planConnection } from '../../src/postgres/connection/open.js';
import { resolvePostgresOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import {
  getPostgresInstance,
  registerPostgresInstance,
  unregisterPostgresInstance,
} from '../../src/storage/postgres/registry.js';
import { useTestSchema } from './support/fixtures.js';
import { closedPort } from './support/proxy.js';
import {
  describeServer,
  expectCode,
  randomName,
  rejectionOf,
  serverUrl,
  waitUntil,
} from './support/server.js';

/** A password with characters that need encoding, and every spelling of it that could leak. */
function secret() {
  const raw = `Pw@${randomBytes(6).toString('hex')}/:% x`;
  const spellings = [raw, encodeURIComponent(raw), raw.replace(/ /g, '\\ '), raw.slice(0, 12)];
  return { raw, encoded: encodeURIComponent(raw), spellings };
}

/** Everything a person or a log could see of a value. */
function printed(value: unknown): string {
  const parts = [
    format('%s', value),
    format('%o', value),
    format('%j', value),
    inspect(value, { depth: 10, showHidden: true }),
    String(value),
  ];
  try {
    parts.push(JSON.stringify(value) ?? '');
  } catch {
    // Circular structures cannot be JSON; inspect covered them.
  }
  if (value instanceof Error) parts.push(value.stack ?? '', printed(value.cause));
  return parts.join('\n');
}

function expectHidden(value: unknown, s: ReturnType<typeof secret>) {
  const text = printed(value);
  for (const spelling of s.spellings) expect(text, 'a password leaked').not.toContain(spelling);
}

describe('printing options and connections', () => {
  it('hides the password option, the DSN password and secrets in extraOptions everywhere', () => {
    const s = secret();
    const o = resolvePostgresOptions({
      dsn: `postgres://alice:${s.encoded}@db.example:5432/sessions?sslmode=disable`,
      password: s.raw,
      extraOptions: { password: s.raw, ssl: { key: s.raw, passphrase: s.raw } },
    });
    expectHidden(o, s);
    expectHidden({ nested: { options: o } }, s);
    expectHidden(planConnection(o), s);
    expect(format('%s', o)).toContain('***');
  });

  it('hides passwords of every DSN form in redacted strings', () => {
    const s = secret();
    const forms = [
      `postgres://alice:${s.encoded}@h:5432/db`,
      `postgresql://alice:${s.encoded}@h/db?sslmode=require`,
      `postgres://h/db?user=alice&password=${s.encoded}`,
      `host=h port=5432 user=alice password='${s.raw.replace(/'/g, "\\'")}' dbname=db`,
      `host=h password=${s.raw.replace(/ /g, '\\ ')} dbname=db`,
    ];
    for (const dsn of forms) {
      const redacted = redactConnectionString(dsn);
      for (const spelling of s.spellings) expect(redacted, dsn).not.toContain(spelling);
      expect(redacted).toContain('***');
    }
  });

  it('hides the password of a registered instance', () => {
    const s = secret();
    const name = randomName('inst');
    registerPostgresInstance(name, { connectionString: `postgres://alice:${s.encoded}@h:5432/db` });
    try {
      expectHidden(getPostgresInstance(name), s);
      expectHidden(planConnection(resolvePostgresOptions({ instance: name })), s);
    } finally {
      unregisterPostgresInstance(name);
    }
  });

  it('names a malformed DSN in its CONFIG error without its password', () => {
    const s = secret();
    for (const dsn of [
      `postgres://alice:${s.encoded}@h:notaport/db`,
      `postgres://alice:${s.encoded}@h/db?sslmode=sometimes`,
      `mysql://alice:${s.encoded}@h/db`,
      `host=h password=${s.encoded} port=`,
    ]) {
      let error: unknown;
      try {
        new PostgresSessionService({ dsn });
      } catch (e) {
        error = e;
      }
      expectCode(error, 'CONFIG');
      expectHidden(error, s);
    }
  });
});

describe('errors from a server that cannot be reached', () => {
  it('report the target without the password, in the message, the cause and the stack', async () => {
    const s = secret();
    const port = await closedPort();
    for (const options of [
      { dsn: `postgres://alice:${s.encoded}@127.0.0.1:${port}/db` },
      { dsn: `host=127.0.0.1 port=${port} user=alice password='${s.raw}' dbname=db` },
      { host: '127.0.0.1', port, user: 'alice', password: s.raw, database: 'db' },
    ]) {
      const service = new PostgresSessionService(options);
      try {
        expectHidden(service, s);
        const error = await rejectionOf(service.getSession({ appName: 'a', userId: 'u', sessionId: 's' }));
        expectCode(error, 'STORAGE');
        expect(error.message).toContain('127.0.0.1');
        expectHidden(error, s);
        const created = await rejectionOf(PostgresSessionService.create(options));
        expectHidden(created, s);
      } finally {
        await service.close();
      }
    }
  });
});

describeServer('reports made in the background', () => {
  const fixture = useTestSchema();

  it('never carry the password: onError reports of failed idle connections, and any process warning', async () => {
    const s = secret();
    const url = new URL(serverUrl!);
    url.username = url.username || 'postgres';
    url.password = s.encoded; // the test server trusts local connections: any password is accepted
    const reports: unknown[] = [];
    const warnings: unknown[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const name = randomName('creds');
    const withReporter = await fixture.db.service(name, {
      dsn: url.toString(),
      onError: (e, c) => reports.push(e, c),
    });
    const withoutReporter = await PostgresSessionService.create({
      dsn: url.toString(),
      schema: fixture.db.name,
      extraOptions: { application_name: `${name}_w` },
    });
    try {
      await withReporter.listAppStates('a');
      await withoutReporter.listAppStates('a');
      await fixture.db.terminate(name);
      await fixture.db.terminate(`${name}_w`);
      await waitUntil('the idle connection failures are reported', async () => reports.length > 0);
      expectHidden(reports, s);
      expectHidden(warnings, s);
      // The services carry on.
      expect(await withReporter.listAppStates('a')).toEqual({});
      expectHidden(withReporter, s);
    } finally {
      process.off('warning', onWarning);
      await withReporter.close();
      await withoutReporter.close();
    }
  });
});
