/**
 * The agent-sessions demo (`npm start`): a scripted agent conversation stored through
 * PostgresSessionService, read back by a fresh service instance, and printed as a person wants to
 * read it. Sessions live in embedded PGlite in ./.agent-sessions (or in the PostgreSQL server of
 * DATABASE_URL), so every run adds one and shows it beside the earlier ones.
 */

import { colorsFor } from '../src/cli/output/colors.js';
import { renderTable } from '../src/cli/output/table.js';
import { countTurns, outputWidth, renderSession } from '../src/cli/output/transcript.js';
import { formatUtc } from '../src/cli/timestamps.js';
import { PostgresSessionService } from '../src/postgres/service.js';
import { ExtractiveSummarizer } from '../src/summary/extractive-summarizer.js';
import { APP_NAME, playConversation, USER_ID } from './demo/conversation.js';
import { openStore } from './demo/store.js';

const c = colorsFor(process.stdout);

async function main(): Promise<void> {
  const started = Date.now();
  const store = await openStore();
  console.log(c.bold('agent-sessions demo'), c.dim(`· storing in ${store.describe}`));
  try {
    // Write: one service instance plays the conversation, then closes (draining every write).
    const writer = await PostgresSessionService.create({
      ...store.options,
      summarizer: new ExtractiveSummarizer(),
    });
    let sessionId: string;
    try {
      sessionId = (await playConversation(writer)).id;
    } finally {
      await writer.close();
    }

    // Read: a fresh instance knows nothing the database does not hold.
    const reader = await PostgresSessionService.create(store.options);
    try {
      const key = { appName: APP_NAME, userId: USER_ID, sessionId };
      const session = await reader.getSession(key);
      if (!session) throw new Error(`session ${sessionId} was not found after it was written`);
      console.log();
      console.log(renderSession(session, { colors: c, width: outputWidth() }));

      const sessions = await reader.listSessions({ appName: APP_NAME, userId: USER_ID });
      console.log();
      console.log(c.bold(c.underline(`Sessions of ${USER_ID} in ${APP_NAME}`)), c.dim('(newest first)'));
      console.log(
        renderTable(
          [
            { header: 'SESSION', value: (s) => s.id },
            { header: 'TURNS', value: (s) => String(countTurns(s.events)), align: 'right' },
            { header: 'EVENTS', value: (s) => String(s.events.length), align: 'right' },
            { header: 'UPDATED', value: (s) => formatUtc(s.updatedAt) },
            {
              header: '',
              value: (s) => (s.id === sessionId ? '← this run' : ''),
              color: (text) => c.green(text),
            },
          ],
          sessions,
          c,
        ),
      );
      console.log();
      console.log(
        c.dim(
          `Done in ${((Date.now() - started) / 1000).toFixed(1)}s. Run \`npm start\` again to add another session; inspect them with`,
        ),
      );
      console.log(c.dim(`  npx agent-sessions ls --app ${APP_NAME} --user ${USER_ID}`));
      console.log(c.dim(`  npx agent-sessions show ${APP_NAME} ${USER_ID} ${sessionId}`));
    } finally {
      await reader.close();
    }
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
