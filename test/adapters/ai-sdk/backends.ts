/**
 * The backends every AI SDK adapter test runs on: in-memory, PGlite and server PostgreSQL (when
 * AGENT_SESSIONS_TEST_DATABASE_URL is set), with synchronous and asynchronous persistence. With
 * async persistence an append resolves once accepted, so `settle()` flushes before a later request
 * reads, as the next HTTP request of a real app would find the writes durable.
 */
export { type Backend, backends, type OpenBackend } from '../../support/adapter-backends.js';
