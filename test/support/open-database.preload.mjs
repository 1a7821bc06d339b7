/**
 * Preloaded (`node --import`) into every script the command-line and example tests run: at exit,
 * says on stderr whether a timer the embedded database armed ever fired.
 *
 * PostgreSQL inside PGlite arms its timers with setitimer, which PGlite runs on setTimeout, and
 * one is armed when the database starts (10 s). close() clears it. A script that ends without
 * closing its database is kept alive until that timer fires, so a fired timer means the script
 * left its database open (and made its user wait for nothing).
 */
import { promisify } from 'node:util';

/** The line the tests look for (see runNode in test/cli/support.ts). */
const MARK = 'open-database.preload: a timer of the embedded database fired';

const original = globalThis.setTimeout;
const fired = [];

function setTimeout(callback, ms, ...args) {
  // PGlite's setitimer calls setTimeout from this function of its own.
  if (!(new Error().stack ?? '').includes('__setitimer_js')) return original(callback, ms, ...args);
  return original(
    function firing(...callbackArgs) {
      fired.push(ms);
      return callback.apply(this, callbackArgs);
    },
    ms,
    ...args,
  );
}
setTimeout[promisify.custom] = original[promisify.custom];
globalThis.setTimeout = setTimeout;

process.on('exit', () => {
  if (fired.length > 0) process.stderr.write(`${MARK} (${fired.join(', ')} ms)\n`);
});
