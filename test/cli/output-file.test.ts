/**
 * The file `export -o` writes (src/cli/output-file.ts): in place only when committed; abandoned,
 * it leaves whatever was at the path before, and no partial file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLine } from '../../src/cli/io.js';
import { openOutputFile } from '../../src/cli/output-file.js';
import { tempDir } from './support.js';

describe('an output file', () => {
  const dir = tempDir('agent-sessions-output-file-');
  afterAll(() => dir.remove());

  it('appears whole at its path when committed, and not before', async () => {
    const path = join(dir.path, 'new.jsonl');
    const file = await openOutputFile(path);
    await writeLine(file.stream, 'one');
    await writeLine(file.stream, 'two');
    expect(existsSync(path)).toBe(false);
    await file.commit();
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('leaves the file that was there when abandoned half-way', async () => {
    const path = join(dir.path, 'old.jsonl');
    writeFileSync(path, 'the last complete export\n');
    const file = await openOutputFile(path);
    await writeLine(file.stream, 'half of a new one');
    await file.abandon();
    expect(readFileSync(path, 'utf8')).toBe('the last complete export\n');
    expect(existsSync(`${path}.partial`)).toBe(false);
  });
});
