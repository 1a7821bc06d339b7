import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEvent, type Event } from '../../src/session/event.js';
import {
  applyEventToSession,
  type EventFilter,
  filterEvents,
  newSession,
} from '../../src/session/session.js';

/**
 * applyEventToSession skips re-filtering when the filter would keep the list as it is. Whatever
 * the events and the filter, the caller's session must hold what re-filtering after every append
 * gives, the rule of trpc-agent-go's UpdateUserSession.
 */

const BASE = Date.UTC(2026, 0, 1);

/** A stored user or assistant message, or a partial chunk (not stored), at `second` past BASE. */
const eventArb = fc.record({
  role: fc.constantFrom('user', 'assistant', 'partial'),
  second: fc.integer({ min: 0, max: 20 }),
});

function makeEvent({ role, second }: { role: string; second: number }): Event {
  const now = new Date(BASE + second * 1000);
  if (role === 'partial')
    return createEvent({
      author: 'assistant',
      now,
      is_partial: true,
      message: { role: 'assistant', content: 'x' },
    });
  return createEvent({ author: role, now, message: { role, content: `${role} at ${second}` } });
}

const filterArb: fc.Arbitrary<EventFilter> = fc.record(
  {
    eventNum: fc.integer({ min: 0, max: 6 }),
    eventTime: fc.integer({ min: 0, max: 20 }).map((second) => new Date(BASE + second * 1000)),
  },
  { requiredKeys: [] },
);

describe('applyEventToSession', () => {
  it('leaves the session holding the re-filtered events after every append', () => {
    let keptAsIs = 0;
    let refiltered = 0;
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), filterArb, (specs, filter) => {
        const session = newSession({ appName: 'a', userId: 'u', sessionId: 's' }, new Date(BASE));
        let expected: Event[] = [];
        for (const spec of specs) {
          const event = makeEvent(spec);
          const before = session.events;
          applyEventToSession(session, event, filter, event.timestamp);
          if (spec.role !== 'partial') expected = filterEvents([...expected, event], filter);
          expect(session.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
          if (spec.role !== 'partial') session.events === before ? keptAsIs++ : refiltered++;
        }
      }),
      { numRuns: 500 },
    );
    // Both paths ran: the list kept as it is, and the list re-filtered into a new one.
    expect(keptAsIs).toBeGreaterThan(100);
    expect(refiltered).toBeGreaterThan(100);
  });
});
