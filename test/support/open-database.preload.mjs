/**
 * Preloaded (`node --import`) into every script the command-line and example tests run: at exit,
 * says on stderr whether the script left an embedded database open.
 *
 * PostgreSQL inside PGlite arms its timers with setitimer, which PGlite runs on setTimeout (one is
 * armed when the database starts, for 10 s), and close() clears them. A script that ends without
 * closing its database would be kept alive by such a timer until it fires. Here those timers do not
 * hold the process (they are unref'd), so the script ends when its own work does, and one still
 * armed at exit is a database the script did not close. Whether a timer fires while the script
 * works does not matter, so a slow machine cannot make this check fail.
 */
import { promisify } from 'node:util';

/** The line the tests look for (see runNode in test/cli/support.ts). */
const MARK = 'open-database.preload: the embedded database was left open';

const originalSetTimeout = globalThis.setTimeout;
const originalClearTimeout = globalThis.clearTimeout;
/** PGlite's timers that are armed: neither fired nor cleared. */
const armed = new Set();

function setTimeout(callback, ms, ...args) {
  // PGlite's setitimer calls setTimeout from this function of its own.
  if (!(new Error().stack ?? '').includes('__setitimer_js')) return originalSetTimeout(callback, ms, ...args);
  const timer = originalSetTimeout(
    function fire(...callbackArgs) {
      armed.delete(timer);
      return callback.apply(this, callbackArgs);
    },
    ms,
    ...args,
  );
  timer.unref();
  armed.add(timer);
  return timer;
}
setTimeout[promisify.custom] = originalSetTimeout[promisify.custom];

function clearTimeout(timer) {
  armed.delete(timer);
  return originalClearTimeout(timer);
}

globalThis.setTimeout = setTimeout;
globalThis.clearTimeout = clearTimeout;

process.on('exit', () => {
  if (armed.size > 0) process.stderr.write(`${MARK} (${armed.size} of its timers still armed)\n`);
});
