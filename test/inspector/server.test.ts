/**
 * The inspector's HTTP rules, without a browser: loopback only unless exposed, the access token
 * on every request when exposed, read-only unless writes were allowed (and then only confirmed,
 * same-origin JSON writes), security headers everywhere, nothing of a failure's details in a
 * response, and downloads in the formats of `export` and `show`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExposeRequiredError,
  type Inspector,
  type InspectorOptions,
  startInspector,
} from '../../src/cli/inspect/server.js';
import { exportSessions, formatExportLine, parseExportLine } from '../../src/postgres/admin/index.js';
import { tableNames } from '../../src/postgres/schema/index.js';
import type { SqlClient } from '../../src/sql/client.js';
import { openPgliteDatabase, type TestDatabase } from '../support/database.js';
import { APP_NAME, type Seeded, seed, USER_ID } from './seed.js';
import { request } from './support.js';

describe('the inspector server (PGlite)', () => {
  let db: TestDatabase;
  let seeded: Seeded;
  const running: Inspector[] = [];
  const start = async (options: Partial<InspectorOptions> = {}) => {
    const inspector = await startInspector({
      client: db.sql,
      tables: tableNames('', ''),
      label: 'embedded PGlite',
      allowWrites: false,
      ...options,
    });
    running.push(inspector);
    return inspector;
  };
  const key = () => `app=${APP_NAME}&user=${USER_ID}&session=${seeded.demo.id}`;

  beforeAll(async () => {
    db = await openPgliteDatabase();
    seeded = await seed(db);
  }, 120_000);
  afterAll(async () => {
    for (const i of running) await i.close();
    await seeded?.service.close();
    await db?.close();
  });

  it('listens on 127.0.0.1 with no token, and answers only to a loopback Host header', async () => {
    const inspector = await start();
    expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(inspector.token).toBeNull();
    expect((await request(`${inspector.url}api/apps`)).status).toBe(200);
    const rebound = await request(`${inspector.url}api/apps`, {
      headers: { Host: `evil.example:${inspector.port}` },
    });
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain(APP_NAME);
  });

  it('takes only literal loopback names as loopback: localhost listens without a token, foo.localhost needs --expose', async () => {
    // A name is resolved through DNS when listening, and may bind an address other machines reach.
    const refused = await start({ host: 'inspector.localhost' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ExposeRequiredError);
    expect((refused as Error).message).toMatch(/^inspector\.localhost is not a loopback address.*--expose/);

    const local = await start({ host: 'localhost' });
    expect(local.token).toBeNull();
    expect(local.url).toMatch(/^http:\/\/localhost:\d+\/$/);
    expect((await request(`${local.url}api/apps`)).status).toBe(200);
    // In a Host header *.localhost still counts: browsers resolve it to loopback themselves.
    const named = await request(`${local.url}api/apps`, { headers: { Host: `app.localhost:${local.port}` } });
    expect(named.status).toBe(200);
  });

  it('refuses an address other than loopback unless exposed, then requires the token on every request', async () => {
    await expect(start({ host: '0.0.0.0' })).rejects.toThrow(/--expose/);
    const inspector = await start({ host: '0.0.0.0', expose: true });
    expect(inspector.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const base = `http://127.0.0.1:${inspector.port}`;
    for (const path of ['/', '/app.js', '/api/apps', `/api/export?${key()}`]) {
      const res = await request(`${base}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.body).not.toContain(APP_NAME);
    }
    expect((await request(`${base}/api/apps?token=wrong`)).status).toBe(401);
    expect(
      (await request(`${base}/api/apps`, { headers: { Authorization: `Bearer ${inspector.token}` } })).status,
    ).toBe(200);

    // The printed URL: the token moves into an HttpOnly cookie and out of the address.
    const visit = await request(`${base}/?token=${inspector.token}`);
    expect(visit.status).toBe(303);
    expect(visit.headers.location).toBe('/');
    const cookie = String(visit.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const withCookie = await request(`${base}/api/apps`, { headers: { Cookie: cookie.split(';')[0]! } });
    expect(withCookie.status).toBe(200);
    expect(withCookie.body).toContain(APP_NAME);
  });

  it('sends the Content-Security-Policy and the other security headers on every response', async () => {
    const inspector = await start();
    for (const path of ['', 'app.js', 'api/apps', 'api/timeline?app=x', 'nothing-here']) {
      const res = await request(`${inspector.url}${path}`);
      expect(res.headers['content-security-policy'], path).toMatch(/default-src 'none'; script-src 'self'/);
      expect(res.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('is read-only unless started with allowWrites', async () => {
    const inspector = await start();
    const res = await request(`${inspector.url}api/delete`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        appName: APP_NAME,
        userId: USER_ID,
        sessionId: seeded.demo.id,
        confirm: seeded.demo.id,
      }),
    });
    expect(res.status).toBe(403);
    expect(
      await seeded.service.getSession({ appName: APP_NAME, userId: USER_ID, sessionId: seeded.demo.id }),
    ).not.toBeNull();
  });

  it('with allowWrites, deletes and restores only confirmed, same-origin JSON requests', async () => {
    const inspector = await start({ allowWrites: true });
    const target = await seeded.service.createSession({
      appName: APP_NAME,
      userId: 'writer',
      sessionId: 'to-delete',
    });
    const body = { appName: APP_NAME, userId: 'writer', sessionId: target.id };
    const post = (path: string, payload: unknown, headers: Record<string, string> = {}) =>
      request(`${inspector.url}api/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(payload),
      });
    const live = () => seeded.service.getSession({ ...body });

    const unconfirmed = await post('delete', { ...body, confirm: 'something else' });
    expect(unconfirmed.status).toBe(400);
    expect(JSON.parse(unconfirmed.body).error).toMatch(/confirm/);
    const form = await request(`${inspector.url}api/delete`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'appName=x',
    });
    expect(form.status).toBe(403);
    expect(
      (await post('delete', { ...body, confirm: target.id }, { Origin: 'http://evil.example' })).status,
    ).toBe(403);
    expect(await live()).not.toBeNull();

    expect((await post('delete', { ...body, confirm: target.id })).status).toBe(200);
    expect(await live()).toBeNull();
    const restored = await post('restore', { ...body, confirm: target.id });
    expect(restored.status).toBe(200);
    expect(JSON.parse(restored.body).restored.sessions).toBe(1);
    expect(await live()).not.toBeNull();
  });

  it('names the parameter at fault for bad input, and keeps database failures to the terminal', async () => {
    const inspector = await start();
    const bad = await request(`${inspector.url}api/sessions?app=${APP_NAME}&user=${USER_ID}&cursor=nope`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/cursor/);
    expect((await request(`${inspector.url}api/users`)).status).toBe(400);

    const logged: unknown[] = [];
    const failing: SqlClient = {
      ...db.sql,
      kind: 'pg',
      query: async () => {
        throw new Error('connect to postgres://admin:hunter2@db.internal:5432/prod failed');
      },
    };
    const broken = await start({ client: failing, onError: (e) => logged.push(e) });
    const res = await request(`${broken.url}api/apps`);
    expect(res.status).toBe(500);
    expect(res.body).not.toMatch(/hunter2|db\.internal|postgres:/);
    expect(logged).toHaveLength(1);
  });

  it('exports a session as the JSON line `export` writes, and as a transcript', async () => {
    const inspector = await start();
    const json = await request(`${inspector.url}api/export?${key()}`);
    expect(json.status).toBe(200);
    expect(json.headers['content-disposition']).toBe(`attachment; filename="${seeded.demo.id}.jsonl"`);
    const lines = json.body.trim().split('\n');
    expect(lines).toHaveLength(1);
    const record = parseExportLine(lines[0]!);
    expect(record.events).toHaveLength(8);
    const filter = { appName: APP_NAME, userId: USER_ID, sessionId: seeded.demo.id, includeDeleted: false };
    for await (const expected of exportSessions({ client: db.sql, tables: tableNames('', '') }, filter)) {
      expect(lines[0]).toBe(formatExportLine(expected));
    }

    const text = await request(`${inspector.url}api/transcript?${key()}`);
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expect(text.body).toContain('→ get_weather');
    expect(text.body).toContain('Summary');
    expect(text.body).not.toMatch(/\u001b\[/);
  });

  it('shows a state key named __proto__ like any other', async () => {
    const inspector = await start();
    // fromEntries: a literal's __proto__ would set the prototype, not make a key.
    const state = Object.fromEntries([
      ['__proto__', new TextEncoder().encode('proto')],
      ['k', new TextEncoder().encode('v')],
    ]);
    const session = await seeded.service.createSession({ appName: APP_NAME, userId: USER_ID }, state);
    const res = await request(
      `${inspector.url}api/timeline?app=${APP_NAME}&user=${USER_ID}&session=${session.id}`,
    );
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { session: { state: Record<string, string> } };
    expect(Object.keys(body.session.state).sort()).toEqual(['__proto__', 'k']);
    expect(Object.getOwnPropertyDescriptor(body.session.state, '__proto__')?.value).toBe('proto');
  });
});
