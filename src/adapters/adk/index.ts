/**
 * agent-sessions for Google's Agent Development Kit (`@google/adk`): a `BaseSessionService` on any
 * agent-sessions store, for ADK's `Runner`.
 */
export { ADK_EXTENSION_KEY } from './event-codec.js';
export { AdkSessionService, type AdkSessionServiceOptions } from './service.js';
export type { AdkSummaryContext } from './summary.js';
