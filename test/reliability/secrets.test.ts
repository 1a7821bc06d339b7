/**
 * Passwords of any characters stay hidden (issue 15, item 2). Generated passwords — spaces,
 * quotes, `@`, `%`-escapes, backslashes, non-ASCII — given in each form a service accepts (a URL
 * DSN written raw or percent-encoded, libpq's key=value form with quotes, the `password` option,
 * a registered instance, PGPASSWORD) meet each failure: a server that cannot be reached, one that
 * refuses the password, one that fails after login. Whatever the library prints — the error's
 * message, stack and cause, the CLI's output, OpenTelemetry exception events — holds no spelling
 * of the password. Before the fix, a raw URL password with a space was printed as given.
 */
import { format, inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/program.js';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { spellingsOf } from '../../src/sql/connection-string.js';
import { registerPostgresInstance, unregisterPostgresInstance } from '../../src/storage/postgres/registry.js';
import { installOtel, type TestOtel } from '../observability/otel.js';
import { type AuthServer, startAuthServer } from './support/auth-server.js';
import { closedPort } from './support/proxy.js';
import { randomName } from './support/server.js';

const CHARS = [...'abcXYZ0189', ...` "'@%:/?#&=\\;,+`, '%20', '%40', '%zz', 'é', 'ß', '中', '😀', '\t'];

/** Passwords of 6 to 16 pieces, none of them a mere part of the mask `***`. */
const passwords = fc.string({ unit: fc.constantFrom(...CHARS), minLength: 6, maxLength: 16 });

type Form = 'url-raw' | 'url-encoded' | 'key-value' | 'option' | 'instance' | 'env';
const FORMS: readonly Form[] = ['url-raw', 'url-encoded', 'key-value', 'option', 'instance', 'env'];

const quoted = (password: string) => `'${password.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** The service options (and the DSN the CLI would be given) for `password` in `form`. */
function optionsFor(
  form: Form,
  password: string,
  port: number,
): { options: PostgresSessionServiceOptions; dsn?: string; instance?: string } {
  const base = { database: 'db', connectTimeoutMs: 2_000 };
  switch (form) {
    case 'url-raw': {
      const dsn = `postgres://alice:${password}@127.0.0.1:${port}/db`;
      return { options: { ...base, dsn }, dsn };
    }
    case 'url-encoded': {
      const dsn = `postgres://alice:${encodeURIComponent(password)}@127.0.0.1:${port}/db`;
      return { options: { ...base, dsn }, dsn };
    }
    case 'key-value': {
      const dsn = `host=127.0.0.1 port=${port} user=alice password=${quoted(password)} dbname=db`;
      return { options: { ...base, dsn }, dsn };
    }
    case 'option':
      return { options: { ...base, host: '127.0.0.1', port, user: 'alice', password } };
    case 'instance': {
      const instance = randomName('secret');
      registerPostgresInstance(instance, {
        connectionString: `postgres://alice:${encodeURIComponent(password)}@127.0.0.1:${port}/db`,
      });
      return { options: { ...base, instance }, instance };
    }
    case 'env':
      return { options: { ...base, host: '127.0.0.1', port, user: 'alice' } };
  }
}

/** Everything a person or a log could see of an error. */
function printed(error: unknown): string {
  const parts = [format('%s', error), format('%o', error), inspect(error, { depth: 10, showHidden: true })];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    parts.push(e.message, e.stack ?? '');
  }
  return parts.join('\n');
}

function expectNoSpelling(text: string, password: string, where: string) {
  for (const spelling of spellingsOf(password)) {
    expect(text.includes(spelling), `${where} shows the password ${JSON.stringify(spelling)}:\n${text}`).toBe(
      false,
    );
  }
}

/** What `agent-sessions stats --dsn <dsn>` writes to stderr, with the stack shown as well. */
async function cliOutput(dsn: string): Promise<string> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const debug = process.env.AGENT_SESSIONS_DEBUG;
  process.env.AGENT_SESSIONS_DEBUG = '1';
  try {
    const code = await run(['node', 'agent-sessions', 'stats', '--dsn', dsn], '0.0.0');
    expect(code).toBe(1);
  } finally {
    spy.mockRestore();
    if (debug === undefined) delete process.env.AGENT_SESSIONS_DEBUG;
    else process.env.AGENT_SESSIONS_DEBUG = debug;
  }
  return written.join('');
}

type Failure = 'unreachable' | 'wrong-password' | 'server-error';

describe('a password of any characters, from any source, is never printed', () => {
  let otel: TestOtel;
  let refusing: AuthServer;
  let failing: AuthServer;
  let closed: number;

  beforeAll(async () => {
    otel = installOtel();
    // Both echo the password they received: the worst a server or pooler could do.
    refusing = await startAuthServer((password) => ({
      code: '28P01',
      message: `password authentication failed for user "alice" (got "${password}")`,
    }));
    failing = await startAuthServer((password) => ({
      code: '3D000',
      message: `database "db" does not exist for login ${password}`,
    }));
    closed = await closedPort();
  });
  afterAll(async () => {
    await otel?.uninstall();
    await refusing?.close();
    await failing?.close();
  });

  const portOf = (failure: Failure) =>
    failure === 'unreachable' ? closed : failure === 'wrong-password' ? refusing.port : failing.port;

  for (const failure of ['unreachable', 'wrong-password', 'server-error'] as const) {
    it(`in errors, causes, stacks, spans and CLI output when the server is ${failure}`, async () => {
      await fc.assert(
        fc.asyncProperty(passwords, fc.constantFrom(...FORMS), async (password, form) => {
          const { options, dsn, instance } = optionsFor(form, password, portOf(failure));
          const pgpassword = process.env.PGPASSWORD;
          if (form === 'env') process.env.PGPASSWORD = password;
          otel.exporter.reset();
          let service: PostgresSessionService | undefined;
          try {
            let error: unknown;
            try {
              service = new PostgresSessionService({ ...options, skipDbInit: true });
              await service.getSession({ appName: 'a', userId: 'u', sessionId: 's' });
            } catch (e) {
              error = e;
            }
            // A raw URL password with `/`, `?`, `#` or a bad `%` makes a malformed DSN: CONFIG,
            // thrown by the constructor, with nothing of the DSN in it.
            expect((error as { code?: string })?.code).toMatch(/^(STORAGE|CONFIG)$/);
            expectNoSpelling(printed(error), password, 'the error');
            if (service) {
              expectNoSpelling(format('%o', service), password, 'the service');
              const events = otel
                .spans()
                .flatMap((span) => [span.status.message ?? '', ...span.events.map((e) => JSON.stringify(e))]);
              expect(events.length).toBeGreaterThan(0);
              expectNoSpelling(events.join('\n'), password, 'the spans');
            }
            if (dsn !== undefined) expectNoSpelling(await cliOutput(dsn), password, 'the CLI');
          } finally {
            await service?.close();
            if (instance) unregisterPostgresInstance(instance);
            if (form === 'env') {
              if (pgpassword === undefined) delete process.env.PGPASSWORD;
              else process.env.PGPASSWORD = pgpassword;
            }
          }
        }),
        {
          numRuns: 40,
          // A raw password that URL parsers (WHATWG's as libpq's) read as the host and part of the
          // database name (`alice:@aaa/a@host` is user alice at host aaa): it was printed there.
          examples: [
            ['@aaa/a', 'url-raw'],
            ['x@h0st/db?', 'url-raw'],
          ],
        },
      );
    }, 120_000);
  }

  it('the refusing server did receive the password (the test reaches the login)', async () => {
    let received = '';
    const server = await startAuthServer((password) => {
      received = password;
      return { code: '28P01', message: 'password authentication failed' };
    });
    const service = new PostgresSessionService({
      host: '127.0.0.1',
      port: server.port,
      user: 'alice',
      password: 'p a s s',
    });
    try {
      await expect(service.getSession({ appName: 'a', userId: 'u', sessionId: 's' })).rejects.toThrow(
        /authentication failed/,
      );
      expect(received).toBe('p a s s');
    } finally {
      await service.close();
      await server.close();
    }
  });
});
