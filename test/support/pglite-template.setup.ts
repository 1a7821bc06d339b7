/**
 * vitest's global setup for `emptyPglite` (pglite-template.ts): creates one empty PGlite per
 * `vitest run`, dumps its data directory to a file, provides the file's path to the tests, and
 * removes the file afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The file holding the dump (a tar) of an empty database's data directory. */
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-sessions-pglite-'));
  const db = await PGlite.create();
  try {
    // Nothing but this runs on it, so every copy starts as a new database would.
    await db.query('SELECT 1');
    const dump = await db.dumpDataDir('none');
    await writeFile(join(dir, 'empty.tar'), Buffer.from(await dump.arrayBuffer()));
  } finally {
    await db.close();
  }
  project.provide('pgliteTemplate', join(dir, 'empty.tar'));
  return () => rm(dir, { recursive: true, force: true });
}
