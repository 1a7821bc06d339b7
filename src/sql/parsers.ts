/**
 * Text parsers both adapters install per query, so that a row looks the same whichever driver
 * read it (see the contract in client.ts). They never touch a driver's global parsers: a pool the
 * caller shares with other code keeps its own behaviour.
 */
import { fromSqlTimestamp, fromSqlTimestampTz } from './timestamps.js';

/** PostgreSQL type OIDs whose text the adapters parse themselves. */
export const TypeOid = {
  INT8: 20,
  JSON: 114,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  JSONB: 3802,
} as const;

// The largest Date JavaScript can hold, used for PostgreSQL's 'infinity' timestamps.
const MAX_DATE_MS = 8.64e15;

function special(text: string): Date | undefined {
  if (text === 'infinity') return new Date(MAX_DATE_MS);
  if (text === '-infinity') return new Date(-MAX_DATE_MS);
  return undefined;
}

/**
 * `TIMESTAMP WITHOUT TIME ZONE` text read as UTC wall-clock. Microseconds survive as a
 * SqlTimestamp, so a value read back can be passed as a parameter again and still compare equal
 * to the stored one (keyset paging on created_at depends on that).
 */
export function parseTimestampAsUtc(text: string): Date {
  const sentinel = special(text);
  if (sentinel) return sentinel;
  try {
    return fromSqlTimestamp(text);
  } catch {
    // Years beyond 9999 or BC dates: rare, so the millisecond-precision parser is enough.
    return new Date(`${text.replace(' ', 'T')}Z`);
  }
}

/** `TIMESTAMP WITH TIME ZONE` text (`2026-01-02 03:04:05.123456+08`, DateStyle ISO) as an instant. */
export function parseTimestampTz(text: string): Date {
  const sentinel = special(text);
  if (sentinel) return sentinel;
  return fromSqlTimestampTz(text) ?? new Date(text.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
}

const identity = (text: string): string => text;

/** Parsers by type OID: JSON and BIGINT stay text, timestamps become Dates read as UTC. */
export const resultParsers: Readonly<Record<number, (text: string) => unknown>> = Object.freeze({
  [TypeOid.INT8]: identity,
  [TypeOid.JSON]: identity,
  [TypeOid.JSONB]: identity,
  [TypeOid.TIMESTAMP]: parseTimestampAsUtc,
  [TypeOid.TIMESTAMPTZ]: parseTimestampTz,
});
