/**
 * The built `agent-sessions` command where no database is involved, or none can be reached:
 * help, the DDL of `migrate --dry-run`, and one-line errors without passwords.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILD_TIMEOUT_MS,
  cli,
  ensureBuilt,
  expectOneLineError,
  ok,
  STEP_TIMEOUT_MS,
  tempDir,
} from './support.js';

const COMMANDS = ['migrate', 'ls', 'show', 'export', 'import', 'cleanup', 'restore', 'purge', 'stats'];

beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS);

describe('agent-sessions without a database', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir('agent-sessions-cli-');
  });
  afterAll(() => dir.remove());

  it(
    'prints help for the command and for every subcommand',
    async () => {
      const top = ok(await cli(['--help'], { cwd: dir.path }));
      for (const command of COMMANDS) expect(top.stdout).toContain(command);
      const results = await Promise.all(COMMANDS.map((c) => cli([c, '--help'], { cwd: dir.path })));
      results.forEach((result, i) => {
        ok(result);
        expect(result.stdout).toContain(`Usage: agent-sessions ${COMMANDS[i]}`);
        expect(result.stdout).toContain('--dsn');
        // Which database a command uses, as docs/cli.md says: --dsn, DATABASE_URL, then PGHOST.
        expect(result.stdout.replace(/\s+/g, ' ')).toContain('nor PGHOST is set');
      });
      const restore = results[COMMANDS.indexOf('restore')]!.stdout.replace(/\s+/g, ' ');
      expect(restore).toContain('On a live session it brings back what the last TTL sweep took from it');
      expect(restore).not.toContain('Fails when a live session');
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'prints the DDL with migrate --dry-run: six CREATE TABLE and twelve indexes, without touching a database',
    async () => {
      const plain = ok(await cli(['migrate', '--dry-run'], { cwd: dir.path }));
      expect(plain.stdout.match(/CREATE TABLE IF NOT EXISTS/g)).toHaveLength(6);
      expect(plain.stdout.match(/CREATE (UNIQUE )?INDEX IF NOT EXISTS/g)).toHaveLength(12);
      for (const table of [
        'session_states',
        'session_events',
        'session_track_events',
        'session_summaries',
        'app_states',
        'user_states',
      ]) {
        expect(plain.stdout).toContain(`CREATE TABLE IF NOT EXISTS "${table}"`);
      }
      const scoped = ok(
        await cli(['migrate', '--dry-run', '--schema', 'ops', '--table-prefix', 'trpc'], { cwd: dir.path }),
      );
      expect(scoped.stdout).toContain('CREATE SCHEMA IF NOT EXISTS "ops"');
      expect(scoped.stdout).toContain('CREATE TABLE IF NOT EXISTS "ops"."trpc_session_states"');
      expect(scoped.stdout).toContain('"idx_ops_trpc_session_events_lookup"');
      expect(existsSync(join(dir.path, '.agent-sessions'))).toBe(false);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'tells the user to run migrate when a read command finds no database, and creates nothing',
    async () => {
      for (const command of [['ls'], ['show', 'a', 'u', 's'], ['export'], ['stats']]) {
        const line = expectOneLineError(await cli(command, { cwd: dir.path }));
        expect(line).toContain('agent-sessions migrate');
      }
      expect(existsSync(join(dir.path, '.agent-sessions'))).toBe(false);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'reports an unreachable server in one line without the password',
    async () => {
      const dsn = 'postgres://bob:hunter2secret@127.0.0.1:1/db';
      const viaFlag = expectOneLineError(await cli(['ls', '--dsn', dsn], { cwd: dir.path }));
      expect(viaFlag).toContain('cannot connect');
      expect(viaFlag).toContain('bob:***@127.0.0.1:1');
      const viaEnv = await cli(['stats'], { cwd: dir.path, env: { DATABASE_URL: dsn } });
      expectOneLineError(viaEnv);
      for (const result of [viaEnv, await cli(['migrate', '--dsn', dsn], { cwd: dir.path })]) {
        expect(result.stdout + result.stderr).not.toContain('hunter2secret');
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'hides the password in the usage errors commander prints itself: a --dsn before the subcommand, a misspelt flag',
    async () => {
      const cases: { args: string[]; quoted: string }[] = [
        {
          args: ['--dsn=postgres://ops:Hunter2-TOPSECRET@db.example/prod', 'ls'],
          quoted: 'ops:***@db.example',
        },
        {
          args: ['ls', '--dns=postgres://ops:Hunter2 TOP@SECRET@db.example/prod'],
          quoted: "'--dns=postgres://",
        },
        { args: ['ls', "--dns=host=h password='Hunter2 TOPSECRET'"], quoted: "'--dns=host=h password=" },
        { args: ['stats', '--bogus=postgres://u:Hunter2%40TOPSECRET@h/db'], quoted: 'u:***@h/db' },
      ];
      for (const { args, quoted } of cases) {
        const result = await cli(args, { cwd: dir.path });
        expect(result.code, args.join(' ')).not.toBe(0);
        expect(result.stderr).toContain('unknown option');
        expect(result.stderr).toContain(quoted);
        expect(result.stdout + result.stderr).not.toMatch(/Hunter2|TOPSECRET/);
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'rejects a malformed DSN without echoing it',
    async () => {
      for (const dsn of [
        'not a dsn hunter2secret',
        'postgres://bob:hunter2secret@[broken',
        'host=h password',
      ]) {
        const line = expectOneLineError(await cli(['ls', '--dsn', dsn], { cwd: dir.path }));
        expect(line).toContain('DSN');
        expect(line).not.toContain('hunter2secret');
        // The hint is printed as written: nothing in it looks like a password to mask.
        expect(line).toContain('expected a postgres:// URL');
        expect(line).not.toContain('***');
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'names the PG* variable that is malformed, not the DSN',
    async () => {
      for (const [name, bad] of [
        ['PGSSLMODE', 'Require'],
        ['PGPORT', '64x41'],
        ['PGHOST', 'a,b'],
      ] as const) {
        const env = { DATABASE_URL: undefined, PGHOST: 'db.invalid', [name]: bad };
        const line = expectOneLineError(await cli(['ls'], { cwd: dir.path, env }));
        expect(line).toMatch(new RegExp(`^agent-sessions: error: ${name}: `));
        expect(line).not.toContain('DSN');
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'names the PG* variable that asks for what cannot be done, not the DSN, before connecting',
    async () => {
      for (const [name, bad, connection] of [
        ['PGSSLCRL', '/crl.pem', { PGHOST: 'db.invalid' }],
        ['PGCHANNELBINDING', 'require', { DATABASE_URL: 'postgres://u@db.invalid/db' }],
        ['PGGSSENCMODE', 'require', {}],
        // Alone, these send libpq to a server: the embedded database would be the wrong one.
        ['PGHOSTADDR', '10.0.0.9', {}],
        ['PGSERVICE', 'prod', {}],
      ] as const) {
        const env: Record<string, string | undefined> = {
          DATABASE_URL: undefined,
          ...connection,
          [name]: bad,
        };
        const args = name === 'PGGSSENCMODE' ? ['ls', '--dsn', 'postgres://u@db.invalid/db'] : ['ls'];
        const line = expectOneLineError(await cli(args, { cwd: dir.path, env }));
        expect(line, name).toMatch(new RegExp(`^agent-sessions: error: ${name}: is not supported \\(`));
        expect(line, name).not.toContain('DSN');
        expect(line, name).not.toContain(bad);
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'rejects bad flag values before connecting',
    async () => {
      const duration = await cli(['purge', '--older-than', '30'], { cwd: dir.path });
      expect(duration.code).not.toBe(0);
      expect(duration.stderr).toContain('not a duration');
      const missing = await cli(['purge'], { cwd: dir.path });
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain("required option '--older-than <duration>'");
      const since = await cli(['export', '--updated-since', 'yesterday'], { cwd: dir.path });
      expect(since.code).not.toBe(0);
      expect(since.stderr).toContain('ISO 8601');
      const schema = expectOneLineError(await cli(['ls', '--schema', 'bad-name'], { cwd: dir.path }));
      expect(schema).toContain('schema');
      const nothing = expectOneLineError(await cli(['cleanup'], { cwd: dir.path }));
      expect(nothing).toContain('--session-ttl');
    },
    STEP_TIMEOUT_MS,
  );
});
