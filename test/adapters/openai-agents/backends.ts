/**
 * The backends every OpenAI Agents adapter test runs on: in-memory, PGlite and server PostgreSQL
 * (when AGENT_SESSIONS_TEST_DATABASE_URL is set), each with synchronous and asynchronous
 * persistence. The adapter's writes (appendEvents, popEvent, clearEvents) land before they
 * resolve in both modes, so no test needs a flush between a write and the next read.
 */
export { type Backend, backends, type OpenBackend } from '../../support/adapter-backends.js';
