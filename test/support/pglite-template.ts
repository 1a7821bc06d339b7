/**
 * A fresh in-memory PGlite for each test, without running initdb each time.
 *
 * Creating an empty PGlite runs initdb inside the WebAssembly build: about 2 s of CPU, which the
 * suites paid a few hundred times a run. The global setup (pglite-template.setup.ts) creates one
 * empty database per `vitest run` and dumps its data directory to a file; each test's database
 * starts from that file (`loadDataDir`, about a quarter of the cost).
 */
import { readFile } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { inject } from 'vitest';

let template: Promise<Blob> | undefined;

/**
 * A new, empty in-memory PGlite started from the template. PGlite is imported here, on first use,
 * so a test file that only talks to a server never loads it (lazy-pglite.test.ts counts on that).
 */
export async function emptyPglite(): Promise<PGlite> {
  template ??= readFile(inject('pgliteTemplate')).then((bytes) => new Blob([bytes]));
  const { PGlite } = await import('@electric-sql/pglite');
  return PGlite.create({ loadDataDir: await template });
}
