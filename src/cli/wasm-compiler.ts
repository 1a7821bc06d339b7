/**
 * Keeps the embedded database's WebAssembly on V8's baseline compiler (Liftoff) in the command's
 * process.
 *
 * V8 compiles PGlite's WebAssembly with Liftoff as it is first called, then compiles the functions
 * that run hot again with its optimizing compiler (TurboFan), in the background. A command lives
 * a second or two: that second compilation costs more CPU and memory than it ever gives back. On
 * Node 24, `agent-sessions ls` took 1.1 s and 660 MB of RSS with it and 0.6 s and 280 MB
 * without; an import of 1,000 sessions peaked at 1,155 MB with it and 700 MB without, in the same
 * time (Node 20: `ls` 0.9 s, 350 MB against 0.75 s, 265 MB). Only the command does this: a
 * service lives long enough for the optimized code to pay off, and the library never sets a
 * process's flags.
 *
 * The two flags go one call each: `--liftoff-only`, which implies both, takes effect only on the
 * command line (V8 resolves implications when it starts), and `--no-wasm-dynamic-tiering` alone
 * would compile everything with TurboFan up front. V8 reads them when it compiles a module, so
 * this runs before the first command loads PGlite. A runtime without them (another engine behind
 * `node:v8`) runs the command as it is: they save time and memory, nothing depends on them.
 */
import { setFlagsFromString } from 'node:v8';

export function keepWebAssemblyOnBaselineCompiler(): void {
  try {
    setFlagsFromString('--no-wasm-tier-up');
    setFlagsFromString('--no-wasm-dynamic-tiering');
  } catch {
    // Not V8, or not this V8's flags: the defaults only cost more.
  }
}
