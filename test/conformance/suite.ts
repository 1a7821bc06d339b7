import { afterAll, describe } from 'vitest';
import type { ManualClock } from '../../src/session/clock.js';
import type { SessionService } from '../../src/session/service.js';
import type { SessionServiceOptions } from '../../src/session/service-options.js';
import { appendEventsCases } from './cases/append-events.js';
import { bufferCases } from './cases/buffers.js';
import { byteOrderMarkCases } from './cases/byte-order-mark.js';
import { concurrencyCases } from './cases/concurrency.js';
import { eventRemovalCases } from './cases/event-removal.js';
import { eventReplacementCases } from './cases/event-replacement.js';
import { eventCases } from './cases/events.js';
import { exactValueCases } from './cases/exact-values.js';
import { createHarness } from './cases/harness.js';
import { hookCases } from './cases/hooks.js';
import { lifecycleCases } from './cases/lifecycle.js';
import { sessionCases } from './cases/sessions.js';
import { stateCases } from './cases/state.js';
import { summaryCases } from './cases/summaries.js';
import { summaryLimitCases } from './cases/summary-limits.js';
import { surrogateCases } from './cases/surrogates.js';
import { timestampCases } from './cases/timestamps.js';
import { trackCases } from './cases/tracks.js';
import { ttlCases } from './cases/ttl.js';
import { unreadableValueCases } from './cases/unreadable-values.js';
import { validationCases } from './cases/validation.js';
import { windowCases } from './cases/window.js';

/** A backend under test: how to make a service over its storage, and how to clean up. */
export interface ConformanceBackend {
  name: string;
  /** A new service over the backend's shared storage. Tests isolate themselves by random appName. */
  create(options: SessionServiceOptions & { clock: ManualClock }): Promise<SessionService>;
  /** Optional cleanup after the whole suite (drop schema, close db). */
  teardown?(): Promise<void>;
  /** Runs one sweep of expired data now (backends expose sweepNow()). */
  sweepNow?(service: SessionService): Promise<void>;
  /**
   * Appends resolve once accepted and are written later (asyncPersist), so an append to a missing
   * session cannot fail with NOT_FOUND itself: the next flush() rejects, its error's cause being
   * the NOT_FOUND.
   */
  deferredWriteErrors?: boolean;
}

/**
 * Registers the behaviour every SessionService backend shares. Each case makes its own service
 * with a ManualClock and a random app name, so cases may run against one shared database.
 */
export function runConformanceSuite(backend: ConformanceBackend): void {
  describe(`SessionService conformance: ${backend.name}`, () => {
    const h = createHarness(backend);
    afterAll(async () => {
      await backend.teardown?.();
    });

    describe('argument validation', () => validationCases(h));
    describe('caller values that throw when read', () => unreadableValueCases(h));
    describe('timestamps at the edges of the stored range', () => timestampCases(h));
    describe('unpaired surrogates', () => surrogateCases(h));
    describe('a leading byte order mark', () => byteOrderMarkCases(h));
    describe('sessions', () => sessionCases(h));
    describe('state in three scopes', () => stateCases(h));
    describe('state values given as Buffers', () => bufferCases(h));
    describe('events', () => eventCases(h));
    describe('appending a batch of events', () => appendEventsCases(h));
    describe('removing events', () => eventRemovalCases(h));
    describe('replacing events', () => eventReplacementCases(h));
    describe('tracks', () => trackCases(h));
    describe('exact numbers', () => exactValueCases(h));
    describe('event windows', () => windowCases(h));
    describe('summaries', () => summaryCases(h));
    describe('summary limits and failures', () => summaryLimitCases(h));
    describe('hooks', () => hookCases(h));
    describe('TTL', () => ttlCases(h));
    describe('flush and close', () => lifecycleCases(h));
    describe('concurrency', () => concurrencyCases(h));
  });
}
