/**
 * `agent-sessions/openai-agents`: conversation memory for the OpenAI Agents SDK
 * (`@openai/agents-core`, an optional peer dependency) on an agent-sessions store.
 */
export { EXTENSION_KEY } from './item-event.js';
export { AgentSessionsSession, type AgentSessionsSessionOptions } from './session.js';
export type { StateValues } from './state.js';
export { itemsWithSummary, type SummaryContextOptions } from './summary.js';
