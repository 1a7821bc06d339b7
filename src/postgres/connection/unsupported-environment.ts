/**
 * libpq's variables for the parameters a connection string may not ask for (see REFUSED in
 * sql/connection-string.ts): psql and a Go service honour `PGSERVICE`, `PGCHANNELBINDING=require`
 * or `PGSSLCRL`, and ignored here they would connect somewhere else or with less protection than
 * the environment asks for. So a set one is refused as its parameter is, naming the variable, and
 * the values that ask for nothing more (`PGCHANNELBINDING=prefer`, `PGGSSENCMODE=disable`) pass.
 * Values are never printed: the parameter's own message does not print them either.
 */
import { ConfigError } from '../../session/errors.js';
import { refusedParameter } from '../../sql/connection-string.js';

/** Each variable, its connection-string parameter, and what to do instead when the parameter's hint names a parameter. */
const VARIABLES: readonly (readonly [variable: string, parameter: string, instead?: string])[] = [
  ['PGHOSTADDR', 'hostaddr', 'give the address as PGHOST'],
  // PGSERVICEFILE is not here: libpq reads that file only for a service named, and PGSERVICE
  // (or a DSN's `service`) is refused; set globally, it asks for nothing.
  ['PGSERVICE', 'service', 'write out the service file entry as PG* variables or a connection string'],
  ['PGSSLCRL', 'sslcrl'],
  ['PGSSLCRLDIR', 'sslcrldir'],
  ['PGCHANNELBINDING', 'channel_binding'],
  ['PGREQUIREAUTH', 'require_auth'],
  ['PGSSLMINPROTOCOLVERSION', 'ssl_min_protocol_version'],
  ['PGREQUIREPEER', 'requirepeer'],
  ['PGGSSENCMODE', 'gssencmode'],
];

/** The variables that choose the server themselves: libpq connects by them with no PGHOST set. */
const SERVER_CHOOSING = new Set(['PGHOSTADDR', 'PGSERVICE']);

/**
 * Refuses the first set variable that asks for what cannot be done; an empty one counts as unset,
 * as libpq and the other `PG*` variables here read it. `only: 'server'` checks only those that
 * choose a server (for the command line, which otherwise opens its embedded database).
 *
 * @throws ConfigError naming the variable and what to do instead.
 */
export function refuseUnsupportedVariables(
  env: Readonly<Record<string, string | undefined>>,
  { only }: { only?: 'server' } = {},
): void {
  for (const [variable, parameter, hint] of VARIABLES) {
    if (only === 'server' && !SERVER_CHOOSING.has(variable)) continue;
    const value = env[variable];
    if (!value) continue;
    const instead = refusedParameter(parameter, value);
    if (instead !== undefined) throw new ConfigError(variable, `is not supported (${hint ?? instead})`);
  }
}
