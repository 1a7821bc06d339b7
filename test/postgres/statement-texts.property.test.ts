/**
 * The statements run on every call hand out one string object per table set and shape (sameText),
 * so that shape must name everything that changes a text. Generated sequences of every option of
 * the reads and the append, on one table set, must give exactly the text a fresh table set (which
 * has nothing remembered) builds for the same call.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendEvent } from '../../src/postgres/queries/events.js';
import { selectSession, selectSessions } from '../../src/postgres/queries/read.js';
import { tableNames } from '../../src/postgres/schema/index.js';

const key = { appName: 'a', userId: 'u', sessionId: 's' };
const now = '2026-01-02 03:04:05.678';
const after = fc.option(fc.constant(now), { nil: undefined });
const tracks = fc.record({ after, limit: fc.option(fc.nat(50), { nil: null }) });

const sessionCall = fc.record({
  kind: fc.constant('session' as const),
  events: fc.oneof(
    fc.record({ kind: fc.constant('window' as const), limit: fc.option(fc.nat(50), { nil: null }) }),
    fc.record({ kind: fc.constant('page' as const), limit: fc.nat(50), offset: fc.nat(50), since: after }),
  ),
  tracks,
});
const sessionsCall = fc.record({
  kind: fc.constant('sessions' as const),
  page: fc.option(fc.record({ offset: fc.nat(50), limit: fc.nat(50) }), { nil: undefined }),
  onlyMeta: fc.boolean(),
  eventLimit: fc.option(fc.nat(50), { nil: null }),
  tracks,
});
const appendCall = fc.record({
  kind: fc.constant('append' as const),
  event: fc.option(fc.constant('{"id":"e"}'), { nil: null }),
  expiresAt: fc.option(fc.constant(now), { nil: null }),
});
const anyCall = fc.oneof(sessionCall, sessionsCall, appendCall);
type Call = typeof anyCall extends fc.Arbitrary<infer T> ? T : never;

function build(t: ReturnType<typeof tableNames>, call: Call) {
  switch (call.kind) {
    case 'session':
      return selectSession(t, { key, now, events: call.events, tracks: call.tracks });
    case 'sessions':
      return selectSessions(t, { ...call, key, now });
    case 'append':
      return appendEvent(t, { ...call, key, delta: '{}', now, updatedAtJson: now });
  }
}

describe('statement texts kept per table set and shape', () => {
  it('are the text a fresh build gives, whatever calls came before', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', 'app'),
        fc.array(anyCall, { minLength: 1, maxLength: 30 }),
        (schema, calls) => {
          const shared = tableNames(schema, 'kept_');
          for (const call of calls) {
            const kept = build(shared, call);
            const fresh = build(tableNames(schema, 'kept_'), call);
            expect(kept.text).toBe(fresh.text);
            expect(kept.params).toEqual(fresh.params);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('are one string object per shape, another for another table set', () => {
    const t = tableNames('', 'kept_');
    const window = { kind: 'window' as const, limit: 20 };
    const first = selectSession(t, { key, now, events: window, tracks: { after: undefined, limit: null } });
    const again = selectSession(t, {
      key: { ...key, sessionId: 'other' },
      now,
      events: { ...window, limit: 1000 },
      tracks: { after: undefined, limit: 5 },
    });
    expect(again.text).toBe(first.text);
    expect(again.params).not.toEqual(first.params);
    const other = selectSession(tableNames('', 'other_'), {
      key,
      now,
      events: window,
      tracks: { after: undefined, limit: null },
    });
    expect(other.text).toContain('"other_session_events"');
    expect(other.text).not.toContain('kept_');
  });
});
