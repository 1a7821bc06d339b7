/**
 * The Go reader (test/interop/go-reader/main.go): documents as a Go service on trpc-agent-go reads
 * them, with encoding/json into structs of trpc-agent-go's JSON shape, and writes them back.
 *
 * Needs a Go toolchain (1.19 or later: Debian's golang-go). Suites that use it are skipped when
 * `go` is missing, unless AGENT_SESSIONS_TEST_GO=required (set by .ci/run, which installs it),
 * where a missing toolchain fails them instead.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe } from 'vitest';
import { commandPath } from './command-path.js';

const go = commandPath('go');
const required = process.env.AGENT_SESSIONS_TEST_GO === 'required';

/** `describe` when the Go reader can be built, `describe.skip` otherwise. */
export const describeGo: typeof describe.skip = go || required ? describe : describe.skip;
if (!go && !required)
  console.info('Go reader suites skipped: go is not installed (apt-get install golang-go)');

/** One document for the reader: what it is, and its JSON text (one line). */
export interface GoDocument {
  kind: 'event' | 'state' | 'summary' | 'track';
  json: string;
}

/** What Go made of a document: its json.Marshal of the decoded value, or why it would not decode. */
export type GoReading = { ok: true; json: string } | { ok: false; error: string };

export interface GoReader {
  read(docs: readonly GoDocument[]): Promise<GoReading[]>;
  /** Removes the built binary. */
  remove(): void;
}

/** Builds the reader into a temporary directory (the standard library only: no download). */
export async function buildGoReader(): Promise<GoReader> {
  if (!go) throw new Error('go is not installed, and AGENT_SESSIONS_TEST_GO=required');
  const dir = mkdtempSync(join(tmpdir(), 'go-reader-'));
  const binary = join(dir, 'go-reader');
  const source = fileURLToPath(new URL('../interop/go-reader/main.go', import.meta.url));
  await promisify(execFile)(go, ['build', '-o', binary, source], {
    cwd: dir,
    // A cache of its own: nothing written to the user's, and the standard library is prebuilt.
    env: { ...process.env, GOCACHE: join(dir, 'cache'), GOFLAGS: '', GO111MODULE: 'on', CGO_ENABLED: '0' },
  });
  return {
    read: (docs) => readWith(binary, docs),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function readWith(binary: string, docs: readonly GoDocument[]): Promise<GoReading[]> {
  for (const doc of docs) {
    if (/[\n\r]/.test(doc.json)) throw new Error(`a ${doc.kind} document spans lines: ${doc.json}`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`go-reader exited ${code}: ${Buffer.concat(err)}`));
      const lines = Buffer.concat(out).toString('utf8').split('\n');
      lines.pop();
      if (lines.length !== docs.length) {
        return reject(new Error(`go-reader answered ${lines.length} lines for ${docs.length} documents`));
      }
      resolve(
        lines.map((line) => {
          const tab = line.indexOf('\t');
          const rest = line.slice(tab + 1);
          return line.startsWith('ok\t') ? { ok: true, json: asGo122(rest) } : { ok: false, error: rest };
        }),
      );
    });
    child.stdin.end(docs.map((d) => `${d.kind}\t${d.json}\n`).join(''));
  });
}

/**
 * Go's JSON as Go 1.22 and later write it, which is what our encoder follows: before 1.22,
 * json.Marshal wrote backspace and form feed as `\u0008` and `\u000c` rather than `\b` and `\f`
 * (the same strings, and the same JSONB). An escape is one only after an even run of backslashes.
 */
function asGo122(json: string): string {
  return json.replace(/(?<=(?:^|[^\\])(?:\\\\)*)\\u00(08|0c)/g, (_, code: string) =>
    code === '08' ? '\\b' : '\\f',
  );
}
