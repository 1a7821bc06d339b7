/**
 * A failed sweep hides the service's secrets like every other error of the service: the sweeper's
 * errors reached onError (timer) and the caller (sweepNow) without going through the runtime's
 * redactor. A server may quote what it was sent; here the failing statement names the schema,
 * and the password is chosen to be that name, so the text the server answers holds it.
 */
import { expect, it } from 'vitest';
import { useTestSchema } from './support/fixtures.js';
import { describeServer, randomName } from './support/server.js';

/** The messages and stacks of an error and its causes. */
function printed(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    parts.push(e.message, e.stack ?? '');
  }
  return parts.join('\n');
}

describeServer('a failed sweep', () => {
  const fixture = useTestSchema();

  it("hides the password in the error of sweepNow and in the timer's report to onError", async () => {
    const { db } = fixture;
    const reported: unknown[] = [];
    const service = await db.service(randomName('sweep-secret'), {
      password: db.name,
      sessionTtlMs: 60_000,
      cleanupIntervalMs: 50,
      onError: (error) => {
        reported.push(error);
      },
    });
    try {
      await service.createSession({ appName: 'a', userId: 'u', sessionId: 's' });
      const admin = await db.admin.connect();
      try {
        await admin.query(`DROP TABLE "${db.name}".session_events`);
      } finally {
        admin.release();
      }
      const error = await service.sweepNow().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: string })?.code).toBe('STORAGE');
      // The server's text did name the relation; only the secret in it is hidden.
      expect(printed(error)).toMatch(
        /sweep of stale events failed: relation "\*\*\*\.session_events" does not exist/,
      );
      expect(printed(error)).not.toContain(db.name);
      await expect.poll(() => reported.length, { timeout: 5_000 }).toBeGreaterThan(0);
      for (const r of reported) {
        expect((r as { code?: string }).code).toBe('STORAGE');
        expect(printed(r)).toContain('sweep of stale events failed');
        expect(printed(r)).not.toContain(db.name);
      }
    } finally {
      await service.close();
    }
  });
});
