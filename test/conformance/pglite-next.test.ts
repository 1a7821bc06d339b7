/**
 * The conformance suite on a PGlite of the next release line (0.6, PostgreSQL 19) that the
 * caller opened and hands over with pgliteClient(instance): an application already on PGlite 0.6
 * keeps its own instance, while databases this package opens itself stay on its PGlite 0.5.
 */
import { PGlite } from '@electric-sql/pglite-next';
import { expect, it } from 'vitest';
import { pgliteClient } from '../../src/sql/pglite-client.js';
import type { TestDatabase } from '../support/database.js';
import { postgresBackend } from './postgres-backend.js';
import { runConformanceSuite } from './suite.js';

async function openNextPglite(): Promise<TestDatabase> {
  const db = await PGlite.create();
  const client = await pgliteClient(db);
  return {
    connect: { client },
    sql: client,
    schema: undefined,
    close: async () => {
      await client.close();
      await db.close();
    },
  };
}

it('runs on PostgreSQL 19 from PGlite 0.6', async () => {
  const db = await openNextPglite();
  try {
    const { rows } = await db.sql.query<{ v: string }>('SELECT version() AS v');
    expect(rows[0]!.v).toMatch(/^PostgreSQL 19\.\d+ \(PGlite 0\.6\.\d+\)/);
  } finally {
    await db.close();
  }
});

runConformanceSuite(
  postgresBackend('PostgreSQL on a caller’s PGlite 0.6', openNextPglite, { asyncPersist: false }),
);
