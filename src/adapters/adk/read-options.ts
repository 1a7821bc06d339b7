import type { GetSessionConfig } from '@google/adk';
import { type GetSessionOptions, InvalidArgumentError } from '../../index.js';

/** How an ADK getSession config reads the store. */
export interface AdkRead {
  options: GetSessionOptions;
  /** False for `numRecentEvents: 0`: the session's state and metadata, no events. */
  withEvents: boolean;
}

/**
 * ADK's getSession config as the store's read options. Where ADK's two services disagree:
 * - `numRecentEvents: 0` returns no events (the database service's answer; the in-memory one
 *   returns all): a caller asking for none gets none;
 * - `afterTimestamp` is inclusive, events at exactly that millisecond are kept (the in-memory
 *   service's answer; the database one is exclusive), as the store's own `eventTime`; 0 means no
 *   bound in both.
 * Windows follow the store's rule: they start at a user message (see the adapter docs).
 */
export function readGetSessionConfig(config: GetSessionConfig | undefined): AdkRead {
  if (config === undefined || config === null) return { options: {}, withEvents: true };
  if (typeof config !== 'object') throw new InvalidArgumentError('config', 'must be an object');
  const { numRecentEvents, afterTimestamp } = config;
  if (
    numRecentEvents !== undefined &&
    (typeof numRecentEvents !== 'number' || !Number.isSafeInteger(numRecentEvents) || numRecentEvents < 0)
  )
    throw new InvalidArgumentError('config.numRecentEvents', 'must be an integer >= 0');
  if (
    afterTimestamp !== undefined &&
    (typeof afterTimestamp !== 'number' ||
      !Number.isFinite(afterTimestamp) ||
      afterTimestamp < 0 ||
      Number.isNaN(new Date(afterTimestamp).getTime()))
  )
    throw new InvalidArgumentError('config.afterTimestamp', 'must be a time in milliseconds >= 0');
  // No events wanted: read the smallest page there is and drop it.
  if (numRecentEvents === 0) return { options: { eventPage: { offset: 0, limit: 1 } }, withEvents: false };
  const options: GetSessionOptions = {};
  if (numRecentEvents !== undefined) options.eventNum = numRecentEvents;
  if (afterTimestamp) options.eventTime = new Date(afterTimestamp);
  return { options, withEvents: true };
}
