/**
 * `agent-sessions/summary`: the built-in summarizers, the checkers that decide when to summarize,
 * and what code reading a summarized session needs (the summary text that applies, and the events
 * after its boundary). The job queue, the per-storage lock and the cascade are the backends' own.
 */
export type { SessionSummarizer } from '../session/summarizer.js';
export {
  afterIdle,
  afterTokens,
  allOf,
  anyOf,
  everyNEvents,
  type SummaryChecker,
  type SummaryInput,
  splitSummaryInput,
  type TokenEstimator,
} from './checkers.js';
export { computeSummaryDelta, cutoffBoundary, type SummaryDelta } from './delta.js';
export { ExtractiveSummarizer, type ExtractiveSummarizerOptions } from './extractive-summarizer.js';
export { pickSummaryText } from './pick.js';
export {
  type CompleteFn,
  DEFAULT_SUMMARY_PROMPT,
  PromptSummarizer,
  type PromptSummarizerOptions,
} from './prompt-summarizer.js';
