import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The public surface, pinned: the runtime names each entry point of package.json `exports` gives a
 * user. Everything else is internal. A name added to an entry point (a new API, or an internal
 * helper re-exported by accident) fails here until it is added to this list on purpose, and the
 * entry point is documented in docs/architecture.md ("Public entry points"). Types are checked by
 * TypeDoc (`npm run docs`), which fails on a public signature that uses a type no entry exports.
 */
const expected: Record<string, string[]> = {
  '.': [
    'AgentSessionsError',
    'APP_PREFIX',
    'CallAbortedError',
    'checkEvent',
    'checkJsonValue',
    'checkSessionKey',
    'checkStateKey',
    'checkStateMap',
    'checkUserKey',
    'ClosedError',
    'ConfigError',
    'ConflictError',
    'createEvent',
    'CURRENT_EVENT_VERSION',
    'FULL_SESSION_FILTER_KEY',
    'InMemorySessionService',
    'InvalidArgumentError',
    'isAgentSessionsError',
    'isUserMessage',
    'jsonValue',
    'ManualClock',
    'newSession',
    'newStateMap',
    'NotFoundError',
    'RawJson',
    'readCallerValue',
    'readJson',
    'readText',
    'stateOf',
    'stringifyExactJson',
    'StorageError',
    'SummarizerError',
    'SummaryTimeoutError',
    'TEMP_PREFIX',
    'textValue',
    'USER_PREFIX',
  ],
  './postgres': [
    'AsyncWriteError',
    'createPgPool',
    'EnqueueAbortedError',
    'optionsFromEnv',
    'pgClient',
    'pgliteClient',
    'PostgresSessionService',
    'redactConnectionString',
  ],
  './postgres/admin': [
    'addImportCounts',
    'adminDatabase',
    'browseSessions',
    'countExpired',
    'countSweepable',
    'countPurgeable',
    'countSessions',
    'emptyImportCounts',
    'EXPORT_FORMAT',
    'ExportLineError',
    'exportSessions',
    'findMissingTables',
    'findSession',
    'formatExportLine',
    'importSession',
    'lastDeletion',
    'listApps',
    'listSessions',
    'listUsers',
    'migrate',
    'migrationStatements',
    'parseExportLine',
    'purge',
    'readAppState',
    'readTimeline',
    'readUserState',
    'restore',
    'StateTracker',
    'sweepNow',
    'tableStats',
  ],
  './storage/postgres': ['getPostgresInstance', 'registerPostgresInstance', 'unregisterPostgresInstance'],
  './summary': [
    'afterIdle',
    'afterTokens',
    'allOf',
    'anyOf',
    'computeSummaryDelta',
    'cutoffBoundary',
    'DEFAULT_SUMMARY_PROMPT',
    'everyNEvents',
    'ExtractiveSummarizer',
    'pickSummaryText',
    'PromptSummarizer',
    'splitSummaryInput',
  ],
  './adk': ['ADK_EXTENSION_KEY', 'AdkSessionService'],
  './ai-sdk': ['ChatHistory', 'EXTENSION_KEY', 'SUMMARY_MESSAGE_ID', 'UIMessageStore'],
  './langchain': ['AgentSessionsChatMessageHistory', 'EXTENSION_KEY'],
  './openai-agents': ['AgentSessionsSession', 'EXTENSION_KEY', 'itemsWithSummary'],
};

interface PackageJson {
  exports: Record<string, { types: string; default: string }>;
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;

/** The source module an entry point is built from: `./dist/x/index.js` is `src/x/index.ts`. */
function sourceOf(entry: string): URL {
  const built = pkg.exports[entry]!.default;
  expect(built).toMatch(/^\.\/dist\/.+\.js$/);
  return new URL(`../../src/${built.slice('./dist/'.length, -'.js'.length)}.ts`, import.meta.url);
}

const sorted = (names: Iterable<string>) => [...names].sort((a, b) => a.localeCompare(b, 'en'));

describe('the public surface', () => {
  it('has an expected list for every entry point of package.json, and no list for an entry it lacks', () => {
    expect(sorted(Object.keys(pkg.exports))).toEqual(sorted(Object.keys(expected)));
  });

  it.each(Object.keys(expected))('%s exports exactly the listed names', async (entry) => {
    const module = (await import(sourceOf(entry).href)) as Record<string, unknown>;
    expect(sorted(Object.keys(module))).toEqual(sorted(expected[entry]!));
  });

  it('exports the declarations next to each built module', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      expect(target.types, entry).toBe(target.default.replace(/\.js$/, '.d.ts'));
    }
  });
});
