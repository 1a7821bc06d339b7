export type { SessionSummarizer } from '../session/summarizer.js';
export {
  copySummary,
  runSummaryCascade,
  type SummarizeTargetInput,
  type SummaryCascadeInput,
  type SummaryStore,
  summarizeTarget,
} from './cascade.js';
export {
  afterIdle,
  afterTokens,
  allOf,
  anyOf,
  estimateTokensByChars,
  eventText,
  everyNEvents,
  messageText,
  type SummaryChecker,
  type SummaryInput,
  splitSummaryInput,
  type TokenEstimator,
} from './checkers.js';
export { computeSummaryDelta, cutoffBoundary, type SummaryDelta } from './delta.js';
export {
  DEFAULT_EXTRACTIVE_LINE_WIDTH,
  DEFAULT_EXTRACTIVE_MAX_CHARS,
  ExtractiveSummarizer,
  type ExtractiveSummarizerOptions,
  OMITTED_MARKER,
} from './extractive-summarizer.js';
export { type SummaryJob, SummaryJobQueue, type SummaryJobQueueOptions } from './job-queue.js';
export { withSummaryLock } from './lock.js';
export { pickSummaryText } from './pick.js';
export { isFilterKeyAllowed, normalizeAllowlist, type SummaryPolicy, summaryTargets } from './policy.js';
export {
  type CompleteFn,
  DEFAULT_SUMMARY_PROMPT,
  NO_PREVIOUS_SUMMARY,
  PromptSummarizer,
  type PromptSummarizerOptions,
  renderConversation,
} from './prompt-summarizer.js';
export {
  previousSummaryEvent,
  SUMMARY_LAST_INCLUDED_EVENT_ID_KEY,
  SUMMARY_LAST_INCLUDED_TS_KEY,
  SUMMARY_SYSTEM_AUTHOR,
  type SummarizeSessionInput,
  summarizeSession,
  summaryInputSession,
} from './summarize-session.js';
