/**
 * The file `export -o` writes (src/cli/output-file.ts): in place only when committed; abandoned,
 * it leaves whatever was at the path before, and no partial file. A FIFO is written where it is,
 * a symbolic link keeps pointing where it did, a replaced file keeps its mode, and two exports to
 * one path do not write into each other's partial file.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  lstatSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLine } from '../../src/cli/io.js';
import { openOutputFile } from '../../src/cli/output-file.js';
import { partialFilesOf, tempDir } from './support.js';

describe('an output file', () => {
  const dir = tempDir('agent-sessions-output-file-');
  afterAll(() => dir.remove());

  it('appears whole at its path when committed, and not before', async () => {
    const path = join(dir.path, 'new.jsonl');
    const file = await openOutputFile(path);
    await writeLine(file.stream, 'one');
    await writeLine(file.stream, 'two');
    expect(() => statSync(path)).toThrow(/ENOENT/);
    expect(partialFilesOf(path)).toHaveLength(1);
    await file.commit();
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
    expect(partialFilesOf(path)).toEqual([]);
  });

  it('leaves the file that was there when abandoned half-way', async () => {
    const path = join(dir.path, 'old.jsonl');
    writeFileSync(path, 'the last complete export\n');
    const file = await openOutputFile(path);
    await writeLine(file.stream, 'half of a new one');
    await file.abandon();
    expect(readFileSync(path, 'utf8')).toBe('the last complete export\n');
    expect(partialFilesOf(path)).toEqual([]);
  });

  it('keeps the mode of the file it replaces', async () => {
    const path = join(dir.path, 'private.jsonl');
    writeFileSync(path, 'old\n', { mode: 0o600 });
    const file = await openOutputFile(path);
    await writeLine(file.stream, 'new');
    await file.commit();
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('replaces the file a symbolic link points to, and keeps the link', async () => {
    const target = join(dir.path, 'target.jsonl');
    const link = join(dir.path, 'link.jsonl');
    writeFileSync(target, 'old\n');
    symlinkSync(target, link);
    const file = await openOutputFile(link);
    await writeLine(file.stream, 'new');
    await file.commit();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(partialFilesOf(target)).toEqual([]);
  });

  it('writes into a FIFO a reader waits on, and leaves it a FIFO', async () => {
    const fifo = join(dir.path, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const read = text(createReadStream(fifo));
    const file = await openOutputFile(fifo);
    await writeLine(file.stream, 'one');
    await writeLine(file.stream, 'two');
    await file.commit();
    expect(await read).toBe('one\ntwo\n');
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(partialFilesOf(fifo)).toEqual([]);
  });

  it('keeps two exports to one path apart: the path holds one whole export', async () => {
    const path = join(dir.path, 'same.jsonl');
    const first = await openOutputFile(path);
    const second = await openOutputFile(path);
    await writeLine(first.stream, 'first 1');
    await writeLine(second.stream, 'second 1');
    await writeLine(first.stream, 'first 2');
    await second.commit();
    await writeLine(first.stream, 'first 3');
    await first.commit();
    expect(readFileSync(path, 'utf8')).toBe('first 1\nfirst 2\nfirst 3\n');
    expect(partialFilesOf(path)).toEqual([]);
  });

  it('fails commit with a write error that came after the last line, instead of waiting for ever', async () => {
    const path = join(dir.path, 'failed.jsonl');
    writeFileSync(path, 'the last complete export\n');
    const file = await openOutputFile(path);
    await writeLine(file.stream, 'one');
    // A write that fails once writeLine has returned (as on a full disk): its descriptor is gone.
    closeSync((file.stream as unknown as { fd: number }).fd);
    await writeLine(file.stream, 'two');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(file.stream.errored).toBeTruthy();
    const outcome = await Promise.race([
      file.commit().then(
        () => 'committed',
        (error: Error) => error.message,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000)),
    ]);
    expect(outcome).toMatch(/^EBADF/);
    await file.abandon();
    expect(readFileSync(path, 'utf8')).toBe('the last complete export\n');
    expect(partialFilesOf(path)).toEqual([]);
  });

  it('makes the file a symbolic link to nothing names, and keeps the link', async () => {
    const target = join(dir.path, 'made-by-export.jsonl');
    const link = join(dir.path, 'dangling.jsonl');
    symlinkSync('made-by-export.jsonl', link);
    const file = await openOutputFile(link);
    await writeLine(file.stream, 'new');
    await file.commit();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
  });
});
