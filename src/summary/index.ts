export type { SessionSummarizer } from '../session/summarizer.js';
export {
  copySummary,
  runSummaryCascade,
  type SummarizeTargetInput,
  type SummaryCascadeInput,
  type SummaryStore,
  summarizeTarget,
} from './cascade.js';
export { computeSummaryDelta, cutoffBoundary, type SummaryDelta } from './delta.js';
export { type SummaryJob, SummaryJobQueue, type SummaryJobQueueOptions } from './job-queue.js';
export { withSummaryLock } from './lock.js';
export { pickSummaryText } from './pick.js';
export { isFilterKeyAllowed, normalizeAllowlist, type SummaryPolicy, summaryTargets } from './policy.js';
export {
  previousSummaryEvent,
  SUMMARY_LAST_INCLUDED_EVENT_ID_KEY,
  SUMMARY_LAST_INCLUDED_TS_KEY,
  SUMMARY_SYSTEM_AUTHOR,
  type SummarizeSessionInput,
  summarizeSession,
  summaryInputSession,
} from './summarize-session.js';
