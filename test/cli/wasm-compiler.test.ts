/**
 * The command keeps PGlite's WebAssembly on V8's baseline compiler (src/cli/wasm-compiler.ts):
 * V8's own trace of each function it compiles shows no optimizing (TurboFan) compilation in the
 * command's process, where the library, doing the same work in a plain script, has some. The
 * trace is V8's, so this holds on whichever Node runs the tests (CI: 20 and 24).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI, ensureBuilt, ok, ROOT, runNode, tempDir } from './support.js';

/** V8 prints a line per compiled function, on stdout, under this flag. */
const TRACE = ['--trace-wasm-compilation-times'];

const count = (trace: string, compiler: string) => trace.split(`using ${compiler},`).length - 1;

describe('the command on the embedded database', () => {
  const dir = tempDir('agent-sessions-wasm-');
  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(() => dir.remove());

  it('compiles PGlite with Liftoff only, where the library tiers up to TurboFan', async () => {
    const command = ok(
      await runNode(CLI, ['migrate', '--data-dir', join(dir.path, 'cli')], {
        cwd: dir.path,
        nodeFlags: TRACE,
      }),
    );
    expect(command.stderr).toBe('');
    expect(count(command.stdout, 'Liftoff')).toBeGreaterThan(100);
    expect(count(command.stdout, 'TurboFan')).toBe(0);

    // The same start (initdb, the tables) from a script on the library, which sets no flags.
    const script = join(dir.path, 'library.mjs');
    writeFileSync(
      script,
      `const { PostgresSessionService } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/postgres/index.js')).href)});
const sessions = await PostgresSessionService.create({ dataDir: ${JSON.stringify(join(dir.path, 'lib'))} });
await sessions.close();
`,
    );
    const library = ok(await runNode(script, [], { cwd: dir.path, nodeFlags: TRACE }));
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
