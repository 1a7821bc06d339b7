import type { ErrorReporter } from '../session/service-options.js';
import type { SessionTable } from './records.js';
import { isLive, type ScopedStateTable } from './state-table.js';

export interface SweepTarget {
  sessions: SessionTable;
  appStates: ScopedStateTable;
  userStates: ScopedStateTable;
  sessionTtlMs: number;
}

/**
 * Removes expired data, as the PostgreSQL backend's sweep does: expired sessions with everything
 * they hold, expired track events and app/user state keys, and the events of any session whose
 * newest event was appended the session TTL ago or longer (PostgreSQL sweeps events by that
 * rule, not by the session's expiry, so a session kept alive by state updates loses them too).
 */
export function sweepExpired(target: SweepTarget, nowMs: number): void {
  const { sessions, sessionTtlMs } = target;
  for (const record of sessions.all()) {
    if (!isLive(record.expiresAt, nowMs)) {
      sessions.delete(record.key);
      continue;
    }
    const newest = record.events.at(-1);
    if (sessionTtlMs > 0 && newest && newest.storedAt <= nowMs - sessionTtlMs) record.events = [];
    for (const [track, events] of record.tracks) {
      const live = events.filter((entry) => isLive(entry.expiresAt, nowMs));
      if (live.length === 0) record.tracks.delete(track);
      else if (live.length !== events.length) record.tracks.set(track, live);
    }
  }
  target.appStates.sweep(nowMs);
  target.userStates.sweep(nowMs);
}

/**
 * Runs `sweep` every `intervalMs` until the returned function is called. The timer never keeps the
 * process alive, and a failing sweep is reported, never thrown from the timer.
 */
export function startSweeper(
  intervalMs: number,
  sweep: () => Promise<void>,
  onError: ErrorReporter,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    // A sweep that outlasts the interval is not started twice.
    if (running) return;
    running = true;
    sweep()
      .catch((error: unknown) => {
        try {
          onError(error instanceof Error ? error : new Error(String(error)), { operation: 'sweep' });
        } catch {
          // The reporter itself failed; nothing sensible is left to do from a timer.
        }
      })
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
