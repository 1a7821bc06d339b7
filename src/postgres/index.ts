export type { PostgresSessionServiceOptions, SslMode } from './options.js';
