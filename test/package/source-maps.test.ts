/**
 * The package's source maps name files relative to themselves: an absolute path would publish the
 * build machine's directory (the inspector's page, imported with `?raw`, once did).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, ensureBuilt, ROOT } from '../cli/support.js';

function mapsUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.map'))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

describe('the built source maps', () => {
  beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS);

  it('name no absolute path, and none of the build directory', () => {
    const maps = mapsUnder(join(ROOT, 'dist'));
    expect(maps.length).toBeGreaterThan(0);
    const absolute: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const path = source.replace(/^[a-z-]+:/, '');
        if (path.startsWith('/') || source.includes(ROOT)) absolute.push(`${map}: ${source}`);
      }
    }
    expect(absolute).toEqual([]);
  });
});
