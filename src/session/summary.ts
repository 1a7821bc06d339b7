import type { Int64 } from './event.js';

/** Mirrors trpc-agent-go's `session.Summary` JSON (stored in session_summaries.summary). */
export interface Summary {
  summary: string;
  topics?: string[];
  /** The boundary's cutoff: the timestamp of the last summarized event, not the time of writing. */
  updated_at: Date;
  boundary?: SummaryBoundary;
}

/** Where a summary stops: events after it form the next summary's delta. */
export interface SummaryBoundary {
  /** Go's int: a bigint only when a stored value is beyond Number.MAX_SAFE_INTEGER. */
  version: Int64;
  filter_key?: string;
  cutoff_at: Date;
  last_event_id?: string;
}

export const SUMMARY_BOUNDARY_VERSION = 1;
/** The filter key of the full-session summary. */
export const FULL_SESSION_FILTER_KEY = '';
