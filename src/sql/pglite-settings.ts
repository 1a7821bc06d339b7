/**
 * The PostgreSQL settings pgliteClient starts an embedded database with: ours, then the caller's.
 */
import { SqlConfigError } from './errors.js';

/**
 * PGlite starts PostgreSQL with a server's defaults, among them 128 MB of shared buffers, which it
 * writes in full as it starts: about 120 MB of the process's RSS before the first statement, and
 * 0.4 s of a command's start on V8's baseline compiler. An embedded database reads the pages its
 * buffers do not hold through PGlite's file system (memory, or the OS page cache), and 16 MB
 * measured the same as 128 MB on every read and append of the benchmark's PGlite workloads
 * (docs/benchmarks.md, "Shared buffers of the embedded database").
 */
export const DEFAULT_PGLITE_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  shared_buffers: '16MB',
});

/** A PostgreSQL setting name (`work_mem`, `DateStyle`, an extension's `pg_trgm.similarity_threshold`). */
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/**
 * The settings as `-c name=value` arguments, after `base` (PGlite's own start parameters): ours
 * first, then the caller's, where a name given by the caller replaces ours (names compare without
 * case, as PostgreSQL's do).
 *
 * @throws SqlConfigError (field `settings`) for a value that is not an object of names and texts
 */
export function pgliteStartParams(base: readonly string[], settings: unknown): string[] {
  const given = checkedSettings(settings);
  const overridden = new Set(Object.keys(given).map((name) => name.toLowerCase()));
  const ours = Object.entries(DEFAULT_PGLITE_SETTINGS).filter(
    ([name]) => !overridden.has(name.toLowerCase()),
  );
  return [
    ...base,
    ...[...ours, ...Object.entries(given)].flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
}

function checkedSettings(settings: unknown): Record<string, string> {
  if (settings === undefined) return {};
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings))
    throw new SqlConfigError(
      'settings',
      'must be an object of PostgreSQL setting names and their values as text',
    );
  for (const [name, value] of Object.entries(settings)) {
    if (!SETTING_NAME.test(name))
      throw new SqlConfigError(
        'settings',
        `${JSON.stringify(name)} is not a setting name (letters, digits, _ and ., not starting with a digit or .)`,
      );
    if (typeof value !== 'string')
      throw new SqlConfigError(
        `settings.${name}`,
        `must be text, as in postgresql.conf, got ${value === null ? 'null' : typeof value}`,
      );
    if (value.includes('\0')) throw new SqlConfigError(`settings.${name}`, 'must not contain NUL characters');
  }
  return settings as Record<string, string>;
}
