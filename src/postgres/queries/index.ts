/**
 * Every SQL statement of the PostgreSQL session service, as small named functions of the table
 * names returning `{ text, params }`.
 */
export * from './event-removal.js';
export * from './event-replacement.js';
export * from './events.js';
export * from './read.js';
export * from './sessions.js';
export * from './sql.js';
export * from './state.js';
export * from './summaries.js';
export * from './tracks.js';
