/**
 * The backends every LangChain adapter test runs on: in-memory, PGlite and server PostgreSQL (when
 * AGENT_SESSIONS_TEST_DATABASE_URL is set), with synchronous and asynchronous persistence.
 */
export { type Backend, backends, type OpenBackend } from '../../support/adapter-backends.js';
