/**
 * The prepared-statement cases both SqlClient adapters must pass alike (node-postgres on the
 * server, PGlite): a statement dropped behind the adapter's back (DEALLOCATE ALL) is prepared again,
 * within a transaction the failure is the transaction's and the next one recovers, and
 * `preparedStatements: false` runs every statement unnamed, the session service working the same
 * either way. Each case opens what it uses on a single connection, so pg_prepared_statements lists
 * exactly that connection's statements.
 */
import { expect, it } from 'vitest';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { createEvent } from '../../src/session/event.js';
import { textValue } from '../../src/session/state.js';
import type { SqlClient } from '../../src/sql/client.js';
import { isStatementName, statementName } from '../../src/sql/statement-names.js';

export const PREPARED = 'SELECT name FROM pg_prepared_statements ORDER BY name';

export async function preparedNames(client: { query: SqlClient['query'] }): Promise<string[]> {
  return (await client.query<{ name: string }>(PREPARED)).rows.map((r) => r.name);
}

/** A database to run the cases on, one connection at a time. */
export interface PreparedTarget {
  /**
   * A client on one connection; `close()` releases what it opened. With `preparedStatements: false`
   * the connection must have nothing prepared yet.
   */
  client(options?: { preparedStatements?: boolean }): Promise<SqlClient>;
  /**
   * Options for a service of its own on one connection, the statements prepared on that
   * connection, and `close()` for what was opened (called after the service is closed).
   */
  service(preparedStatements: boolean): Promise<{
    options: PostgresSessionServiceOptions;
    preparedNames(): Promise<string[]>;
    close(): Promise<void>;
  }>;
}

const TIMEOUT = 120_000;

export function preparedStatementCases(target: PreparedTarget): void {
  it(
    'prepares a statement again when something dropped it (DEALLOCATE ALL) outside a transaction',
    async () => {
      const client = await target.client();
      try {
        const text = 'SELECT $1::text AS dropped_then_echoed';
        const echo = async (value: string) =>
          (await client.query<{ dropped_then_echoed: string }>(text, [value])).rows[0]!.dropped_then_echoed;
        expect(await echo('a')).toBe('a');
        // The adapter still counts the statement as prepared on this connection.
        await client.query('DEALLOCATE ALL');
        expect(await echo('b')).toBe('b');
        expect(await echo('c')).toBe('c');
        expect(await preparedNames(client)).toContain(statementName(text));
      } finally {
        await client.close();
      }
    },
    TIMEOUT,
  );

  it(
    'fails a transaction whose statement was dropped, and prepares it again in the next',
    async () => {
      const client = await target.client();
      try {
        // A text of its own: on a connection other cases share, a statement they prepared before
        // a DEALLOCATE ALL fails the first transaction that uses it again.
        const text = 'SELECT $1::int + 100 AS shifted';
        await client.transaction((tx) => tx.query(text, [1]));
        const error = await client
          .transaction(async (tx) => {
            await tx.query('DEALLOCATE ALL');
            await tx.query(text, [2]);
          })
          .catch((e: unknown) => e);
        expect((error as { code?: string }).code).toBe('26000');
        const { rows } = await client.transaction((tx) => tx.query<{ shifted: number }>(text, [3]));
        expect(rows[0]!.shifted).toBe(103);
      } finally {
        await client.close();
      }
    },
    TIMEOUT,
  );

  it(
    'runs every statement unnamed with preparedStatements: false',
    async () => {
      const client = await target.client({ preparedStatements: false });
      try {
        await client.query('SELECT $1::int AS unnamed_one', [1]);
        await client.transaction((tx) => tx.query('SELECT $1::int AS unnamed_two', [2]));
        expect(await preparedNames(client)).toEqual([]);
      } finally {
        await client.close();
      }
    },
    TIMEOUT,
  );

  it(
    'serves a session service alike with and without prepared statements',
    async () => {
      for (const preparedStatements of [true, false]) {
        const opened = await target.service(preparedStatements);
        const svc = await PostgresSessionService.create(opened.options);
        try {
          const key = { appName: 'app', userId: `u-${preparedStatements}`, sessionId: 's' };
          const session = await svc.createSession(key, { k: textValue('v') });
          await svc.appendEvent(
            session,
            createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }),
          );
          const read = await svc.getSession(key);
          expect(read?.events.map((e) => e.choices?.[0]?.message.content)).toEqual(['hi']);
          const listed = await svc.listSessions(key, { onlyMeta: true });
          expect(listed.map((x) => x.id)).toEqual([key.sessionId]);
          const names = await opened.preparedNames();
          if (preparedStatements) {
            expect(names.length).toBeGreaterThanOrEqual(3);
            expect(names.every(isStatementName)).toBe(true);
          } else {
            expect(names).toEqual([]);
          }
        } finally {
          await svc.close();
          await opened.close();
        }
      }
    },
    TIMEOUT,
  );
}
