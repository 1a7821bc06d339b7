/**
 * Passwords in the arguments commander echoes in its own usage errors (`unknown option
 * '--dns=postgres://…'`): whatever characters the password holds, it is not printed. Run in
 * process (the program's `run`), so many passwords can be tried.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { run } from '../../src/cli/program.js';

let written: string[];
let spy: MockInstance;
beforeEach(() => {
  written = [];
  spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => spy.mockRestore());

/** What the command prints for `args`, and its exit code. */
async function echo(args: string[]): Promise<{ code: number; text: string }> {
  written = [];
  const code = await run(['node', 'agent-sessions', ...args], '0.0.0');
  return { code, text: written.join('') };
}

/** The two ways commander echoes an argument: a misspelt flag, a --dsn before the subcommand. */
const echoed = (password: string) => [
  ['ls', `--dns=postgres://app:${password}@db.internal:5432/prod`],
  [`--dsn=postgres://app:${password}@db.internal:5432/prod`, 'ls'],
];

describe('a password in an argument commander echoes', () => {
  it.each(['s3cr/et', 'My#Secret', 'My?Secret', 'My?Sec#r/et@x', 'line\nbreak', 'pa\tss word'])(
    'is hidden whole: %j',
    async (password) => {
      for (const args of echoed(password)) {
        const { code, text } = await echo(args);
        expect(code).not.toBe(0);
        expect(text).toContain('unknown option');
        expect(text).toContain('app:***@db.internal:5432/prod');
        for (const part of password.split(/[\s/?#@]/).filter((p) => p.length >= 2))
          expect(text).not.toContain(part);
      }
    },
  );

  it('is never printed, whatever characters it holds', async () => {
    const template = `error: unknown option '--dsn=postgres://app:***@db.internal:5432/prod'\n(add --help for usage)\nerror: unknown option '--dns=postgres://app:***@db.internal:5432/prod'`;
    const char = fc.oneof(
      fc.constantFrom('/', '?', '#', '@', ':', '%', '\n', '\t', ' ', "'", '"', '\\', '&', '=', '€', '😀'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(char, { minLength: 1, maxLength: 16 }), async (chars) => {
        const password = chars.join('');
        // A password that is part of the fixed text cannot be told from it.
        fc.pre(!template.includes(password) && !'usage'.includes(password));
        for (const args of echoed(password)) {
          const { text } = await echo(args);
          expect(text).toContain('unknown option');
          expect(text).not.toContain(password);
        }
      }),
      { numRuns: 300 },
    );
  });
});
