/**
 * Session ids are redacted from exception events as whole tokens (issue 15, item 5): a session
 * id `s` must not turn `postgres` into `po<session.id>tgres`, and the id itself is still hidden.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceToken } from '../../src/observability/telemetry.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { closedPort } from '../reliability/support/proxy.js';
import { installOtel, type TestOtel } from './otel.js';

describe('session id redaction in spans', () => {
  let otel: TestOtel;
  beforeAll(() => {
    otel = installOtel();
  });
  afterAll(async () => {
    await otel?.uninstall();
  });

  it('replaces whole tokens only', () => {
    expect(replaceToken('cannot connect (postgres://h/db): session s', 's', '<id>')).toBe(
      'cannot connect (postgres://h/db): session <id>',
    );
    expect(replaceToken('s:s-1 s', 's', '<id>')).toBe('<id>:s-1 <id>');
    expect(replaceToken('a.b', '.', '<id>')).toBe('a<id>b');
  });

  it('keeps the rest of an exception message intact when the session id is a common substring', async () => {
    const port = await closedPort();
    const service = new PostgresSessionService({ dsn: `postgres://alice@127.0.0.1:${port}/db` });
    otel.exporter.reset();
    try {
      await expect(service.getSession({ appName: 'a', userId: 'u', sessionId: 's' })).rejects.toThrow(
        /postgres:\/\//,
      );
    } finally {
      await service.close();
    }
    const text = otel
      .spans()
      .flatMap((span) => [span.status.message ?? '', ...span.events.map((e) => JSON.stringify(e.attributes))])
      .join('\n');
    expect(text).toContain('postgres://');
    expect(text).not.toContain('<session.id>tgres');
  });
});
