/**
 * An export page reads one snapshot: an append that commits between the page's session rows and
 * its events is in neither (it would otherwise be in the events and missing from the state its
 * delta wrote, and the line, imported, would restore a session that never existed). On server
 * PostgreSQL, where another connection can commit in between; PGlite has one connection.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminDatabase, exportSessions } from '../../src/postgres/admin/index.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { createEvent } from '../../src/session/event.js';
import { stateOf } from '../../src/session/state.js';
import type { SqlClient, SqlExecutor } from '../../src/sql/client.js';
import { describeServer, withServerSchema } from '../support/database.js';

const key = { appName: 'snap', userId: 'u', sessionId: 's' };
const step = (n: number) =>
  createEvent({
    author: 'user',
    invocationId: 'i',
    message: { role: 'user', content: `step ${n}` },
    stateDelta: stateOf({ step: String(n) }),
  });

/** A client whose transactions run `between` once, before their first read of a child table. */
function interruptedAfterSessionRows(client: SqlClient, between: () => Promise<void>): SqlClient {
  let done = false;
  const wrap = (tx: SqlExecutor): SqlExecutor => ({
    query: async (text, params) => {
      if (!done && text.includes('jsonb_array_elements')) {
        done = true;
        await between();
      }
      return tx.query(text, params);
    },
  });
  return { ...client, transaction: (fn) => client.transaction((tx) => fn(wrap(tx))) } as SqlClient;
}

describeServer('export on a server', () => {
  let db: Awaited<ReturnType<typeof withServerSchema>>;
  let service: PostgresSessionService;

  beforeAll(async () => {
    db = await withServerSchema();
    service = await PostgresSessionService.create({ client: db.client, schema: db.schema });
    const session = await service.createSession(key);
    await service.appendEvent(session, step(1));
  });

  afterAll(async () => {
    await service?.close();
    await db?.drop();
  });

  it('reads a page in one snapshot: an append committed half-way is in none of the line', async () => {
    const writer = async () => {
      const session = (await service.getSession(key))!;
      await service.appendEvent(session, step(2));
    };
    const client = interruptedAfterSessionRows(db.client, writer);
    const records = [];
    for await (const r of exportSessions(adminDatabase(client, { schema: db.schema }), {
      includeDeleted: false,
    }))
      records.push(r);
    expect(records).toHaveLength(1);
    const [record] = records;
    const state = JSON.parse(record!.state!) as { state: Record<string, string> };
    expect(Buffer.from(state.state.step!, 'base64').toString()).toBe('1');
    expect(record!.events).toHaveLength(1);

    // The append did land, and the next export has all of it.
    const again = [];
    for await (const r of exportSessions(adminDatabase(db.client, { schema: db.schema }), {
      includeDeleted: false,
    }))
      again.push(r);
    const stored = JSON.parse(again[0]!.state!) as { state: Record<string, string> };
    expect(Buffer.from(stored.state.step!, 'base64').toString()).toBe('2');
    expect(again[0]!.events).toHaveLength(2);
  });
});
