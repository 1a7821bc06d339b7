/**
 * The layer rules of docs/architecture.md, checked by `npm run lint` (`depcruise src`).
 * Paths are relative to the repository root; every rule is an error.
 */
const ours = '^src/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No module may reach itself through its imports.',
      severity: 'error',
      from: { path: ours },
      to: { circular: true },
    },
    {
      name: 'session-is-the-core',
      comment: 'session/ (the model and the contract) imports nothing of ours but itself.',
      severity: 'error',
      from: { path: '^src/session/' },
      to: { path: ours, pathNot: '^src/session/' },
    },
    {
      name: 'sql-is-the-driver-seam',
      comment:
        'sql/ (SqlClient and its pg and PGlite adapters) imports nothing of ours but itself, and the calendar scanner it shares with session/time.ts (a leaf module).',
      severity: 'error',
      from: { path: '^src/sql/' },
      to: { path: ours, pathNot: ['^src/sql/', '^src/session/calendar[.]ts$'] },
    },
    {
      name: 'storage-knows-only-sql',
      comment:
        'storage/ (the instance registry) imports only sql/, and the package error classes so that a bad registration is a ConfigError like every other bad option.',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: { path: ours, pathNot: ['^src/storage/', '^src/sql/', '^src/session/errors[.]ts$'] },
    },
    {
      name: 'observability-knows-only-session',
      comment: 'observability/ implements the observer interfaces of session/ and knows no backend.',
      severity: 'error',
      from: { path: '^src/observability/' },
      to: { path: ours, pathNot: ['^src/observability/', '^src/session/'] },
    },
    {
      name: 'summary-knows-only-session',
      comment: 'summary/ (summarizers and the job queue) is shared by the backends and knows none of them.',
      severity: 'error',
      from: { path: '^src/summary/' },
      to: { path: ours, pathNot: ['^src/summary/', '^src/session/'] },
    },
    {
      name: 'backends-are-independent',
      comment: 'A backend never imports another backend.',
      severity: 'error',
      from: { path: '^src/(inmemory|postgres)/' },
      to: { path: '^src/(inmemory|postgres)/', pathNot: '^src/$1/' },
    },
    {
      name: 'backends-do-not-import-the-edges',
      comment: 'Backends never import the command, the adapters, or the entry points.',
      severity: 'error',
      from: { path: '^src/(inmemory|postgres|storage|summary|observability|session|sql)/' },
      to: { path: ['^src/cli/', '^src/adapters/', '^src/index[.]ts$'] },
    },
    {
      name: 'backends-use-observability-through-its-index',
      comment: 'Telemetry is attached through observability/index.ts, never through its internals.',
      severity: 'error',
      from: { path: '^src/(inmemory|postgres)/' },
      to: { path: '^src/observability/', pathNot: '^src/observability/index[.]ts$' },
    },
    {
      name: 'adapters-use-the-public-api',
      comment:
        'An adapter sees what a user sees: the entry points src/index.ts, src/postgres/index.ts and src/summary/index.ts.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: {
        path: ours,
        pathNot: [
          '^src/adapters/$1/',
          '^src/index[.]ts$',
          '^src/postgres/index[.]ts$',
          '^src/summary/index[.]ts$',
        ],
      },
    },
    {
      name: 'nothing-imports-the-command',
      comment: 'cli/ is an edge: it stands on the library, the library never on it.',
      severity: 'error',
      from: { path: ours, pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
  },
};
