/**
 * agent-sessions for Google's Agent Development Kit (`@google/adk`): a `BaseSessionService` on any
 * agent-sessions store, for ADK's `Runner`.
 */
export { ADK_EXTENSION_KEY, fromStoredEvent, toStoredEvent } from './event-codec.js';
export { AdkSessionService, type AdkSessionServiceOptions } from './service.js';
export { type AdkSummaryContext, SUMMARY_PREFIX, summaryContextOf } from './summary.js';
