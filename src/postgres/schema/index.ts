/**
 * The six tables of trpc-agent-go's PostgreSQL session store: their names (schema + prefix), the
 * DDL that creates them, and the check that an existing database has them as we need them.
 */
export * from './ddl.js';
export * from './expected.js';
export * from './init.js';
export * from './names.js';
export * from './verify.js';
