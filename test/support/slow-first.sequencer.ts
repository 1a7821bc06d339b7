/**
 * Starts the slowest test files first. Vitest orders files by the durations of its last run when
 * it has them, and otherwise (a clean clone, as in CI) by file size, largest first; the slowest
 * files here are small (the CLI suites define their cases in a shared module), so on a clean clone
 * the embedded CLI suite, at over two minutes, started near the end and the run waited for it
 * alone. Listed from CI runs on 2 vCPUs, slowest first; the rest keep Vitest's order.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SLOWEST = [
  'test/cli/cli-pglite.test.ts',
  'test/inspector/browser.test.ts',
  'test/reliability/embedded-crash.test.ts',
  'test/conformance/pgbouncer.test.ts',
  'test/postgres/embedded.test.ts',
  'test/conformance/operator-settings.test.ts',
  'test/sql/adapters.test.ts',
  'test/adapters/langchain/history.test.ts',
  'test/cli/cli-server.test.ts',
  'test/sql/pglite-prepared.test.ts',
  'test/cli/wasm-compiler.test.ts',
  'test/inspector/browse.test.ts',
  'test/reliability/hostile-input.test.ts',
  'test/interop/go-reader.test.ts',
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification) => {
      const at = SLOWEST.indexOf(relative(root, spec.moduleId).split('\\').join('/'));
      return at === -1 ? SLOWEST.length : at;
    };
    // Vitest's order keeps each project's files together, the serial project after the default
    // one; within each project the listed files move to the front (the sort is stable).
    const projects: TestSpecification[][] = [];
    for (const spec of await super.sort(files)) {
      const last = projects.at(-1);
      if (last?.[0]?.project === spec.project) last.push(spec);
      else projects.push([spec]);
    }
    return projects.flatMap((specs) => specs.sort((a, b) => rank(a) - rank(b)));
  }
}
