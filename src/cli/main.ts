#!/usr/bin/env node
/**
 * Entry point of the `agent-sessions` command (the package's bin).
 */
import { createRequire } from 'node:module';
import { isInterruptedExit, isStopping } from './interrupt.js';
import { run } from './program.js';
import { keepWebAssemblyOnBaselineCompiler } from './wasm-compiler.js';

// This file is built to dist/cli/main.js; the package.json is two levels up.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

// `agent-sessions export | head` closes the pipe early; that is the reader's choice, not an error.
// Any other failure to write (a full disk, a closed terminal) ends the command in one line.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') {
    // Ctrl-C reaches every process of a pipeline, and the reader may die of the signal that is
    // stopping this command (see interrupt.ts): the command ends as interrupted, its database
    // closed, when its next write fails with this error.
    if (isStopping()) return;
    process.exit(process.exitCode ?? 0);
  }
  process.stderr.write(`agent-sessions: error: cannot write the output: ${error.message}\n`);
  process.exit(1);
});

keepWebAssemblyOnBaselineCompiler();
const code = await run(process.argv, version);
// An interrupted command may have output queued for a reader that stopped reading: the output is
// incomplete anyway, and waiting to write it would keep the process alive after Ctrl-C.
if (isInterruptedExit(code)) process.exit(code);
process.exitCode = code;
