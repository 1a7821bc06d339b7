/**
 * `agent-sessions/langchain`: a LangChain.js chat message history stored in agent-sessions.
 * `@langchain/core` is an optional peer dependency: only this entry point imports it.
 */
export {
  AgentSessionsChatMessageHistory,
  type AgentSessionsChatMessageHistoryOptions,
} from './history.js';
export { EXTENSION_KEY } from './message-event.js';
export type { SummaryContextOptions } from './summary-context.js';
