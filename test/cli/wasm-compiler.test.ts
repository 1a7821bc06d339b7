/**
 * The command keeps PGlite's WebAssembly on V8's baseline compiler (src/cli/wasm-compiler.ts):
 * V8's own trace of each function it compiles shows no optimizing (TurboFan) compilation in the
 * command's process, where the library, doing the same work in a plain script, has some. The
 * trace is V8's, so this holds on whichever Node runs the tests (CI: 20 and 24).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI, ensureBuilt, ROOT, STEP_TIMEOUT_MS, tempDir } from './support.js';

/** Runs node with V8's compilation trace; resolves with stdout (where V8 prints it) and stderr. */
function traced(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--trace-wasm-compilation-times', ...args],
      {
        cwd,
        maxBuffer: 256 * 1024 * 1024,
        timeout: STEP_TIMEOUT_MS,
        env: { ...process.env, DATABASE_URL: '' },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

const count = (trace: string, compiler: string) => trace.split(`using ${compiler},`).length - 1;

describe('the command on the embedded database', () => {
  const dir = tempDir('agent-sessions-wasm-');
  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(() => dir.remove());

  it('compiles PGlite with Liftoff only, where the library tiers up to TurboFan', async () => {
    const command = await traced([CLI, 'migrate', '--data-dir', join(dir.path, 'cli')], dir.path);
    expect(command.stderr).toBe('');
    expect(count(command.stdout, 'Liftoff')).toBeGreaterThan(100);
    expect(count(command.stdout, 'TurboFan')).toBe(0);

    // The same start (initdb, the tables) from a script on the library, which sets no flags.
    const service = pathToFileURL(join(ROOT, 'dist/postgres/index.js')).href;
    const library = await traced(
      [
        '--input-type=module',
        '-e',
        `const { PostgresSessionService } = await import(${JSON.stringify(service)});
         const sessions = await PostgresSessionService.create({ dataDir: ${JSON.stringify(join(dir.path, 'lib'))} });
         await sessions.close();`,
      ],
      dir.path,
    );
    expect(count(library.stdout, 'TurboFan')).toBeGreaterThan(0);
  }, 300_000);

  it('runs as it is where the flags cannot be set', async () => {
    vi.resetModules();
    vi.doMock('node:v8', () => ({
      setFlagsFromString: () => {
        throw new Error('not V8');
      },
    }));
    const { keepWebAssemblyOnBaselineCompiler } = await import('../../src/cli/wasm-compiler.js');
    expect(() => keepWebAssemblyOnBaselineCompiler()).not.toThrow();
    vi.doUnmock('node:v8');
  });
});
